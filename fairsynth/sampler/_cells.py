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
    allowed = np.ones((sum(cardinalities), sum(vocab_sizes)), dtype=bool)
    code_starts = np.cumsum([0, *cardinalities[:-1]])
    token_start = 0
    for j, size in enumerate(vocab_sizes):
        block = slice(token_start, token_start + size)
        token_start += size
        seen = np.bincount(tokens[:, j], minlength=size) > 0
        allowed[:, block] &= seen
        if seen.sum() > len(tokens) / MIN_ROWS_PER_VALUE:
            continue
        for start, cardinality, variable in zip(
            code_starts, cardinalities, codes.T, strict=True
        ):
            pairs = np.zeros((cardinality, size), dtype=bool)
            pairs[variable, tokens[:, j]] = True
            if (pairs.sum(axis=0)[seen] == 1).all():
                allowed[start : start + cardinality, block] &= pairs
    return allowed
