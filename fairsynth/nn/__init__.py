"""PyTorch modules of the FairGAN: column tokens, transformer blocks, generator, critic.

Everything here imports torch; the sampler loads it only when it trains.
"""

from ._layers import (
    BlockDiagonalLinear,
    ConditionEmbedding,
    TransformerBlock,
    TransformerStack,
)
from ._models import CellClassifier, Critic, FairnessAdversary, Generator

__all__ = [
    "BlockDiagonalLinear",
    "CellClassifier",
    "ConditionEmbedding",
    "Critic",
    "FairnessAdversary",
    "Generator",
    "TransformerBlock",
    "TransformerStack",
]
