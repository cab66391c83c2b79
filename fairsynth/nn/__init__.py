"""PyTorch modules of the FairGAN: column tokens, transformer blocks, generator, critic.

Everything here imports torch; the sampler loads it only when it trains.
"""

from ._layers import (
    BlockDiagonalLinear,
    ConditionEmbedding,
    TransformerBlock,
    TransformerStack,
)
from ._models import Critic, FairnessAdversary, Generator

__all__ = [
    "BlockDiagonalLinear",
    "ConditionEmbedding",
    "Critic",
    "FairnessAdversary",
    "Generator",
    "TransformerBlock",
    "TransformerStack",
]
