"""Invertible codes of mixed-type tables for the generators; torch-free.

:class:`TabularTokenizer` gives the generator one token per column;
:class:`TabularEncoder` gives models a float matrix, with the :class:`Span` of each
column.
"""

from ._encoder import TabularEncoder
from ._spans import Span
from ._tokenizer import TabularTokenizer

__all__ = ["Span", "TabularEncoder", "TabularTokenizer"]
