"""The (sensitive group, class) cells of a table, which the GAN is conditioned on."""

import numpy as np
import pandas as pd

from ..preprocessing._derived import MIN_ROWS_PER_VALUE


def index_cells(frame, labels, sensitive):
    """Code every row's group and class, and count the cells.

    Parameters
    ----------
    frame : DataFrame
        The features, sensitive columns included.
    labels : ndarray of shape (n_rows,)
        Class labels.
    sensitive : list
        The sensitive column labels; empty for a single group.

    Returns
    -------
    classes : ndarray
        The sorted class labels.
    values : list of list
        Each sensitive column's values.
    group_codes : ndarray of shape (n_groups, n_sensitive)
        Each group's value codes, one row per group.
    counts : ndarray of shape (n_groups, n_classes)
        Rows per cell.
    group_ids, class_codes : ndarray of shape (n_rows,)
        Each row's group and class.
    """
    classes, class_codes = np.unique(labels, return_inverse=True)
    values = [column_values(frame[name]) for name in sensitive]
    value_codes = np.column_stack(
        [
            pd.Categorical(frame[name], categories=v).codes
            for name, v in zip(sensitive, values, strict=True)
        ]
        or [np.zeros((len(frame), 0), dtype=np.int64)]
    )
    group_codes, group_ids = np.unique(value_codes, axis=0, return_inverse=True)
    group_ids = group_ids.ravel()
    counts = np.zeros((len(group_codes), len(classes)), dtype=np.int64)
    np.add.at(counts, (group_ids, class_codes), 1)
    return (
        classes,
        values,
        group_codes.astype(np.int64),
        counts,
        group_ids,
        class_codes,
    )


def cell_codes(frame, labels, sensitive, values, group_codes, classes):
    """Each row's group and class, as :func:`index_cells` coded them for fit.

    For rows read after the cells were indexed (chunks of a dataset), whose
    groups and classes must be among the fitted ones.

    Returns
    -------
    group_ids, class_codes : ndarray of shape (n_rows,)
    """
    class_codes = np.searchsorted(classes, labels)
    if not sensitive:
        return np.zeros(len(frame), dtype=np.int64), class_codes
    shape = [len(v) for v in values]
    value_codes = [
        pd.Categorical(frame[name], categories=v).codes.astype(np.int64)
        for name, v in zip(sensitive, values, strict=True)
    ]
    group_of = np.full(int(np.prod(shape)), -1, dtype=np.int64)
    group_of[np.ravel_multi_index(group_codes.T, shape)] = np.arange(len(group_codes))
    return group_of[np.ravel_multi_index(value_codes, shape)], class_codes


def check_same_cells(cells, classes, values, group_codes):
    """Check that new data has the classes and groups the networks learned."""
    new_classes, new_values, new_group_codes = cells[:3]
    if (
        not np.array_equal(new_classes, classes)
        or new_values != values
        or not np.array_equal(new_group_codes, group_codes)
    ):
        raise ValueError(
            "resample needs data with the classes and groups seen in fit "
            f"(classes {classes.tolist()}, sensitive values {values}); this data has "
            f"classes {new_classes.tolist()} and sensitive values {new_values}. "
            "Call fit_resample to train on it."
        )


def column_values(column):
    """List a sensitive column's values: in category order, else sorted."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [value for value in column.cat.categories if (column == value).any()]
    return sorted(column.unique().tolist(), key=lambda value: (str(type(value)), value))


def allowed_tokens(tokens, codes, vocab_sizes, cardinalities):
    """Which tokens the generator may draw with each conditioning value.

    A token never seen in the data is never drawn: a category of a column's dtype
    that no row has. A column whose tokens determine a conditioning variable, each
    token seen with one value of it (with ``MIN_ROWS_PER_VALUE`` rows a token on
    average), keeps for each value the tokens seen with it: a marital status that
    names the sex is never drawn for the other sex.

    Parameters
    ----------
    tokens : ndarray of shape (n_rows, n_columns)
        The rows' tokens.
    codes : ndarray of shape (n_rows, n_variables)
        Their conditioning codes: the sensitive columns', then the label's.
    vocab_sizes, cardinalities : sequence of int
        The number of tokens of each column, and of values of each variable.

    Returns
    -------
    ndarray of bool of shape (sum(cardinalities), sum(vocab_sizes))
        Row ``sum(cardinalities[:k]) + v`` says which tokens value ``v`` of
        variable ``k`` allows (see :class:`fairsynth.nn.Generator`).
    """
    return TokenPairs(vocab_sizes, cardinalities).add(tokens, codes).allowed()


class TokenPairs:
    """The tokens seen, and seen with each conditioning value, chunk by chunk.

    :func:`allowed_tokens` of all the rows added, without holding them.

    Parameters
    ----------
    vocab_sizes, cardinalities : sequence of int
        As in :func:`allowed_tokens`.
    """

    def __init__(self, vocab_sizes, cardinalities):
        self.vocab_sizes, self.cardinalities = list(vocab_sizes), list(cardinalities)
        self.n_rows = 0
        self.pairs = [
            [np.zeros((cardinality, size), dtype=bool) for cardinality in cardinalities]
            for size in vocab_sizes
        ]

    def add(self, tokens, codes):
        """Record the pairs of a chunk of rows; return self."""
        self.n_rows += len(tokens)
        for j, column_pairs in enumerate(self.pairs):
            for pairs, variable in zip(column_pairs, codes.T, strict=True):
                pairs[variable, tokens[:, j]] = True
        return self

    def allowed(self):
        """Return the mask of :func:`allowed_tokens` for the rows added."""
        cardinalities = self.cardinalities
        allowed = np.ones((sum(cardinalities), sum(self.vocab_sizes)), dtype=bool)
        code_starts = np.cumsum([0, *cardinalities[:-1]])
        token_start = 0
        for size, column_pairs in zip(self.vocab_sizes, self.pairs, strict=True):
            block = slice(token_start, token_start + size)
            token_start += size
            # The label is a variable of every row, so its pairs hold every token.
            seen = column_pairs[-1].any(axis=0)
            allowed[:, block] &= seen
            if seen.sum() > self.n_rows / MIN_ROWS_PER_VALUE:
                continue
            for start, cardinality, pairs in zip(
                code_starts, cardinalities, column_pairs, strict=True
            ):
                if (pairs.sum(axis=0)[seen] == 1).all():
                    allowed[start : start + cardinality, block] &= pairs
        return allowed
