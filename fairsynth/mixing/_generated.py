"""The generated rows of every cell: from a FairGANSampler, or a table given as is."""

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..adversarial import _input
from ._data import group_ids

NOT_A_GENERATOR = (
    "generator must be a FairGANSampler (fitted or not) or a tuple (X_generated, "
    "y_generated) of generated rows with the columns of X; got {kind}."
)
NO_GENERATOR = (
    "mode='drfairness' mixes generated rows into the batches, so it needs a "
    "generator: a FairGANSampler or a tuple (X_generated, y_generated). Use "
    "mode='fairbatch' to train on real rows only."
)
WRONG_SENSITIVE = (
    "the generator's sensitive columns {got} are not the classifier's {keys}; give "
    "the FairGANSampler sensitive={keys!r}."
)
WRONG_COLUMNS = (
    "the generated rows have columns {got}, but X has {expected}; generate rows "
    "with the columns of X."
)
WRONG_LENGTH = "the generated table has {n_X} rows of X but {n_y} labels."
UNCOVERED = (
    "the generated rows do not cover the real cells: no generated row for "
    "{missing} (group, label). Generate rows for every (group, label) cell of the "
    "real data, or use mode='fairbatch' to train on real rows only."
)
UNKNOWN_CELLS = (
    "generated rows have groups or labels that the real data lacks: {unknown} "
    "(group, label). Generate rows of the real data's cells only."
)


def generated_rows(generator, X, y, keys, n_rows, seed):
    """Return the generated rows ``(X_generated, y_generated)``.

    Parameters
    ----------
    generator : FairGANSampler or tuple
        A sampler (an unfitted one is cloned and fitted on ``X, y``), or a
        table of generated rows with its labels.
    X, y : DataFrame or ndarray, ndarray
        The real rows, labels as given.
    keys : list
        The sensitive columns.
    n_rows : callable
        ``n_rows(group, label)`` gives how many rows a sampler generates for a cell.
    seed : int
        The random state of a sampler cloned for fitting, if it has none.

    Returns
    -------
    X_generated, y_generated : same type as X, ndarray
    """
    from ..sampler import FairGANSampler

    if isinstance(generator, FairGANSampler):
        return _sample_cells(_fitted(generator, X, y, keys, seed), keys, n_rows)
    if isinstance(generator, tuple) and len(generator) == 2:
        X_gen, y_gen = generator
        return _check_table(X_gen, X), np.asarray(y_gen).ravel()
    raise TypeError(NOT_A_GENERATOR.format(kind=type(generator).__name__))


def _fitted(sampler, X, y, keys, seed):
    if hasattr(sampler, "net_"):
        if list(sampler.sensitive_) != list(keys):
            raise ValueError(WRONG_SENSITIVE.format(got=sampler.sensitive_, keys=keys))
        return sampler
    sampler = clone(sampler)
    given = sampler.sensitive
    if given is not None:
        given = list(given) if isinstance(given, (list, tuple)) else [given]
        if given != list(keys):
            raise ValueError(WRONG_SENSITIVE.format(got=given, keys=keys))
    params = {"sensitive": keys if len(keys) > 1 else keys[0]}
    if sampler.random_state is None:
        params["random_state"] = seed
    return sampler.set_params(**params).fit(X, y)


def _sample_cells(sampler, keys, n_rows):
    parts = []
    for group in sampler.groups_:
        values = group if len(keys) > 1 else (group,)
        for label in sampler.classes_:
            n = n_rows(tuple(values), label)
            if n:
                parts.append(
                    sampler.sample(
                        n, groups=dict(zip(keys, values, strict=True)), y=label
                    )
                )
    X_parts = [part[0] for part in parts]
    if isinstance(X_parts[0], pd.DataFrame):
        X_gen = pd.concat(X_parts, ignore_index=True)
    else:
        X_gen = np.concatenate(X_parts)
    y_gen = np.concatenate([np.asarray(part[1]).ravel() for part in parts])
    return X_gen, y_gen


def _check_table(X_gen, X):
    if isinstance(X, pd.DataFrame):
        if not isinstance(X_gen, pd.DataFrame) or list(X_gen.columns) != list(
            X.columns
        ):
            got = list(X_gen.columns) if isinstance(X_gen, pd.DataFrame) else "an array"
            raise ValueError(WRONG_COLUMNS.format(got=got, expected=list(X.columns)))
        return X_gen.reset_index(drop=True)
    X_gen = np.asarray(X_gen)
    if X_gen.ndim != 2 or X_gen.shape[1] != X.shape[1]:
        raise ValueError(
            WRONG_COLUMNS.format(got=f"shape {X_gen.shape}", expected=f"{X.shape[1]}")
        )
    return X_gen


def check_cover(real_cells, generated_cells, describe):
    """Raise unless every real cell has generated rows.

    ``real_cells`` and ``generated_cells`` are boolean arrays of shape
    ``(n_classes, n_groups)``; ``describe(label_code, group_code)`` names a cell.
    """
    missing = np.argwhere(real_cells & ~generated_cells)
    if len(missing):
        raise ValueError(
            UNCOVERED.format(missing=[describe(*cell) for cell in missing])
        )


def code_cells(X_gen, y_gen, keys, groups, classes):
    """Return the generated features, and each row's label code and group id.

    Raises if the table's lengths differ, or if a row's group or label is not one
    of the real data's.
    """
    if len(X_gen) != len(y_gen):
        raise ValueError(WRONG_LENGTH.format(n_X=len(X_gen), n_y=len(y_gen)))
    features, columns = _input.split_sensitive(X_gen, keys)
    _, group_codes = group_ids(columns, groups)
    labels = pd.Index(classes).get_indexer(pd.Index(y_gen))
    unknown = np.flatnonzero((group_codes < 0) | (labels < 0))
    if len(unknown):
        cells = {
            (tuple(column[i] for column in columns), y_gen[i]) for i in unknown[:100]
        }
        raise ValueError(UNKNOWN_CELLS.format(unknown=sorted(cells, key=str)[:5]))
    return features, labels, group_codes
