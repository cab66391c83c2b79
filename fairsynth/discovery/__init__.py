"""Discovery: rows that are rare in ways no listed column names, and acting on them.

:class:`LatentRarity` scores each row by how thinly its region of a VAE's latent
space is populated (DB-VAE). :class:`RarityOversampler` adds generated rows near
the rarest ones, and :func:`rarity_weights` turns rarity into ``sample_weight``.
None of them needs a sensitive column. Imports without torch; torch is loaded when
a model fits.
"""

from ._audit import rarity_by_group, rarity_lifts
from ._rarity import LatentRarity
from ._sampler import RarityOversampler
from ._weights import RarityWeightedClassifier, rarity_weights

__all__ = [
    "LatentRarity",
    "RarityOversampler",
    "RarityWeightedClassifier",
    "rarity_by_group",
    "rarity_lifts",
    "rarity_weights",
]
