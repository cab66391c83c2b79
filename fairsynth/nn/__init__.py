"""PyTorch modules of the FairGAN: column tokens, transformer blocks, generator, critic.

Everything here imports torch; the sampler loads it only when it trains.
"""

from ._layers import (
    BlockDiagonalLinear,
    ConditionEmbedding,
    TransformerBlock,
    TransformerStack,
)
from ._models import Critic, FairnessAdversary, Generator, LabelClassifier

__all__ = [
    "BlockDiagonalLinear",
    "ConditionEmbedding",
    "Critic",
    "FairnessAdversary",
    "Generator",
    "LabelClassifier",
    "TransformerBlock",
    "TransformerStack",
]
