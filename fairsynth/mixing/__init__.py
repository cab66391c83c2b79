"""Training on batches that mix real and generated rows with learned ratios."""

from ._classifier import DrFairnessClassifier
from ._iterator import CellMixingIterator, RowPools
from ._net import MixingNet, RatioHistory
from ._ratios import MixingRatios

__all__ = [
    "CellMixingIterator",
    "DrFairnessClassifier",
    "MixingNet",
    "MixingRatios",
    "RatioHistory",
    "RowPools",
]
