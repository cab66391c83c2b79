"""Training: the skorch net that fits the FairGAN's generator, critic and adversary."""

from ._net import FairGANNet

__all__ = ["FairGANNet"]
