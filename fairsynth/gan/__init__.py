"""Training: the skorch net that fits the FairGAN's generator, critic and adversary."""

from ._device import resolve_device, seeded
from ._net import FairGANNet

__all__ = ["FairGANNet", "resolve_device", "seeded"]
