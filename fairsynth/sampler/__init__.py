"""Samplers: generated rows that make a table fair, and counterfactual twins."""

from ._fair_gan import FairGANSampler
from ._stream import sample_partitions
from ._twin_sampler import CounterfactualSampler

__all__ = ["CounterfactualSampler", "FairGANSampler", "sample_partitions"]
