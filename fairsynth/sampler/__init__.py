"""FairGANSampler: generated rows for the cells that make a table fair."""

from ._fair_gan import FairGANSampler

__all__ = ["FairGANSampler"]
