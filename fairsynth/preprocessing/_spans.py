"""The blocks of an encoded table, and the activation each block needs."""

from dataclasses import dataclass

NUMERIC = "numeric"
CATEGORICAL = "categorical"


@dataclass(frozen=True)
class Span:
    """A contiguous block of encoded columns that stands for one input column.

    A generator reads the spans to pick each block's activation: ``tanh`` for a
    ``"numeric"`` span (one column, values in [-1, 1]) and a softmax for a
    ``"categorical"`` span (one column per category, one-hot in the encoding).

    Parameters
    ----------
    column : str
        The input column, or ``"<column>__missing"`` for the present/missing
        indicator of a numeric column that had missing values.
    kind : {"numeric", "categorical"}
        Which activation the block needs.
    start, stop : int
        The block is ``Z[:, start:stop]``.

    Examples
    --------
    >>> Span("workclass", "categorical", 1, 9).width
    8
    """

    column: str
    kind: str
    start: int
    stop: int

    @property
    def width(self):
        """int: The number of encoded columns, ``stop - start``."""
        return self.stop - self.start
