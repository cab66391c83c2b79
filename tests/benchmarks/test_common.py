"""Shared pieces of the benchmark scripts: the timer and the child-process runner."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from _common import run_script, timer  # noqa: E402


def test_timer_stores_the_seconds_of_its_block():
    record = {}
    with timer(record, "seconds"):
        pass
    assert record["seconds"] >= 0


def test_run_script_returns_the_json_of_the_last_line():
    script = "import json, sys; print('noise'); print(json.dumps({'n': sys.argv[1]}))"
    assert run_script(script, 7) == {"n": "7"}


def test_run_script_raises_with_the_child_error():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        run_script("1 / 0")
