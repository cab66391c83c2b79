"""An invertible encoding of mixed-type tables, with the spans a generator needs.

Torch-free: the networks in :mod:`fairsynth.nn` read :attr:`TabularEncoder.spans_` to
pick each output block's activation.
"""

from ._encoder import TabularEncoder
from ._spans import Span

__all__ = ["Span", "TabularEncoder"]
