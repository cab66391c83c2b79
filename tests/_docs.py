"""Paths of the documentation, and its build-time extensions loaded from docs/_ext."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"


def load_extension(name):
    """Import ``docs/_ext/NAME.py``; the extensions need no Sphinx to import."""
    spec = importlib.util.spec_from_file_location(name, DOCS / "_ext" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
