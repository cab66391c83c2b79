"""The ``fairsynth`` command line: demo, audit, resample, sample and report."""

from ._main import main

__all__ = ["main"]
