"""The (sensitive group, class) cells of a table, which the GAN is conditioned on."""

import numpy as np
import pandas as pd


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
