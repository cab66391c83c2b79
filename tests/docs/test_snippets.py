"""The code a newcomer reads first runs as printed: the README and Getting started."""

import os
import re
import subprocess
import sys
import textwrap

import pytest
from _docs import DOCS, ROOT


def markdown_blocks(path):
    return re.findall(r"```python\n(.*?)```", path.read_text(), re.S)


def rst_blocks(path):
    pattern = r"\.\. code-block:: python\n\n((?:   .*\n|\n)+)"
    return [textwrap.dedent(block) for block in re.findall(pattern, path.read_text())]


SNIPPETS = [
    *(("README.md", block) for block in markdown_blocks(ROOT / "README.md")),
    *(
        ("getting_started.rst", block)
        for block in rst_blocks(DOCS / "getting_started.rst")
        if "load_adult" in block  # the first session; the others are fragments
    ),
]


def test_the_snippets_are_found():
    assert [name for name, _ in SNIPPETS] == ["README.md", "getting_started.rst"]


@pytest.mark.slow
@pytest.mark.parametrize("code", [s[1] for s in SNIPPETS], ids=[s[0] for s in SNIPPETS])
def test_snippet_runs(code, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip(), "the snippet printed nothing"
