"""Training: the skorch net that fits the FairGAN's generator, critic and adversary."""

from ._device import resolve_device, seeded
from ._distributed import is_main_process
from ._net import FairGANNet

__all__ = ["FairGANNet", "is_main_process", "resolve_device", "seeded"]
