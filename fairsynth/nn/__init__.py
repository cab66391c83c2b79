"""PyTorch modules of the FairGAN: transformer blocks, generator, critic, adversary.

Everything here imports torch; the sampler loads it only when it trains.
"""

from ._layers import (
    BlockDiagonalLinear,
    ConditionEmbedding,
    KeyValueCache,
    TransformerBlock,
    TransformerStack,
)
from ._models import Critic, FairnessAdversary, Generator
from ._vae import TabularVAE

__all__ = [
    "BlockDiagonalLinear",
    "ConditionEmbedding",
    "Critic",
    "FairnessAdversary",
    "Generator",
    "KeyValueCache",
    "TabularVAE",
    "TransformerBlock",
    "TransformerStack",
]
