"""Datasets: bundled UCI Adult, cached downloads and a biased-data generator."""

from ._adult import load_adult
from ._fetch import fetch_compas, fetch_german_credit
from ._generators import make_biased_classification

__all__ = [
    "fetch_compas",
    "fetch_german_credit",
    "load_adult",
    "make_biased_classification",
]
