"""Privacy checks: how close synthetic rows come to real ones."""

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils import check_random_state

from ._quality import as_float, category_labels, check_frames, is_numeric


def _encode(real, *others):
    """Put ``real`` and the ``others`` in one numeric space fitted on ``real``.

    Numbers are scaled to [0, 1] by the real range; a missing number becomes 0 plus
    a 1 in a missing-indicator column. Categories are one-hot encoded, missing
    being a category; a category unseen in ``real`` encodes as all zeros.
    """
    frames = (real, *others)
    blocks = tuple([] for _ in frames)
    for name in real.columns:
        if is_numeric(real[name]):
            values = [as_float(frame[name]) for frame in frames]
            low, high = (
                np.nanmin(values[0], initial=np.inf),
                np.nanmax(values[0], initial=-np.inf),
            )
            span = high - low if np.isfinite(high - low) and high > low else 1.0
            for block, column in zip(blocks, values, strict=True):
                missing = np.isnan(column)
                block.append(np.where(missing, 0.0, (column - low) / span)[:, None])
                block.append(missing[:, None].astype(float))
        else:
            texts = [category_labels(frame[name])[:, None] for frame in frames]
            encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
            encoder.fit(texts[0])
            for block, column in zip(blocks, texts, strict=True):
                block.append(encoder.transform(column))
    return tuple(np.hstack(block) for block in blocks)


def _nearest_distance(reference, queries):
    return NearestNeighbors(n_neighbors=1).fit(reference).kneighbors(queries)[0][:, 0]


def distance_to_closest_record(
    real, synthetic, *, max_real_rows=50_000, random_state=None
):
    r"""Compute, for every synthetic row, the distance to the nearest real row.

    Rows are encoded as in a nearest-neighbour search on mixed data: numbers scaled
    to [0, 1] by the real range (missing: 0 plus a missing indicator), categories
    one-hot (missing a category). The distance is Euclidean, so two rows that differ
    in one category are :math:`\sqrt{2}` apart.

    Parameters
    ----------
    real, synthetic : pandas.DataFrame
        Tables with the same columns.
    max_real_rows : int, default=50_000
        Larger real tables are subsampled to this many rows, to bound the time.
    random_state : int, RandomState instance or None, default=None
        Seeds that subsample.

    Returns
    -------
    numpy.ndarray of shape (len(synthetic),)
        Distances; 0 means the synthetic row copies a real one.

    Examples
    --------
    >>> import pandas as pd
    >>> real = pd.DataFrame({"age": [25, 32, 47, 51, 38, 29], "job": list("abacba")})
    >>> ages, jobs = [26, 33, 45, 60, 38, 30], list("abbcba")
    >>> synthetic = pd.DataFrame({"age": ages, "job": jobs})
    >>> distance_to_closest_record(real, synthetic).round(3)
    array([0.038, 0.038, 0.269, 0.346, 0.   , 0.038])
    """
    synthetic = check_frames(real, synthetic)
    if len(real) > max_real_rows:
        rows = check_random_state(random_state).choice(
            len(real), max_real_rows, replace=False
        )
        real = real.iloc[rows]
    return _nearest_distance(*_encode(real, synthetic))


def _row_hashes(frame, numeric):
    # Numbers compare as floats (1 == 1.0) and the rest as text, whatever the dtype.
    normalised = pd.DataFrame(
        {
            name: as_float(frame[name]) if is_number else category_labels(frame[name])
            for name, is_number in numeric.items()
        }
    )
    return pd.util.hash_pandas_object(normalised, index=False).to_numpy()


def exact_copy_rate(real, synthetic):
    """Compute the share of synthetic rows that equal some real row exactly.

    Missing values match missing values; numbers match across integer and float
    dtypes, and categories across categorical, string and object dtypes.

    Parameters
    ----------
    real, synthetic : pandas.DataFrame
        Tables with the same columns.

    Returns
    -------
    float
        A share in [0, 1]; 0 is what a private generator should give.

    Examples
    --------
    >>> import pandas as pd
    >>> real = pd.DataFrame({"age": [25, 32, 47, 51, 38, 29], "job": list("abacba")})
    >>> ages, jobs = [26, 33, 45, 60, 38, 30], list("abbcba")
    >>> synthetic = pd.DataFrame({"age": ages, "job": jobs})
    >>> round(exact_copy_rate(real, synthetic), 3)  # the row (38, "b")
    0.167
    """
    synthetic = check_frames(real, synthetic)
    numeric = {name: is_numeric(real[name]) for name in real.columns}
    real_hashes = _row_hashes(real, numeric)
    return float(np.isin(_row_hashes(synthetic, numeric), real_hashes).mean())


def closer_to_training_share(train, holdout, synthetic, *, random_state=None):
    """Share of synthetic rows nearer to a training row than to any holdout row.

    A generator that learned the population, not its training rows, places its
    rows as near to unseen rows of that population (``holdout``) as to the rows it
    was trained on: the share is then 0.5. A share well above 0.5 means it
    memorised training rows. The larger of ``train`` and ``holdout`` is subsampled
    to the size of the other, so that neither is nearer by having more rows.
    Distances are those of :func:`distance_to_closest_record`, with numbers scaled
    by the range of both real tables, and ties count half.

    Parameters
    ----------
    train, holdout, synthetic : pandas.DataFrame
        The generator's training rows, real rows it never saw, and its rows, with
        the same columns.
    random_state : int, RandomState instance or None, default=None
        Seeds the subsampling.

    Returns
    -------
    float
        A share in [0, 1]; 0.5 means no memorisation.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> holdout = pd.DataFrame({"x": [0.5, 1.5, 2.5, 3.5]})
    >>> closer_to_training_share(train, holdout, train.copy())
    1.0
    """
    synthetic = check_frames(train, synthetic)
    holdout = check_frames(train, holdout)
    rng = check_random_state(random_state)
    size = min(len(train), len(holdout))
    train, holdout = (
        frame.iloc[np.sort(rng.choice(len(frame), size, replace=False))]
        for frame in (train, holdout)
    )
    # One scale for both, so that neither is nearer by how it was scaled.
    _, train_codes, holdout_codes, synthetic_codes = _encode(
        pd.concat([train, holdout], ignore_index=True), train, holdout, synthetic
    )
    to_train = _nearest_distance(train_codes, synthetic_codes)
    to_holdout = _nearest_distance(holdout_codes, synthetic_codes)
    return float(np.mean(to_train < to_holdout) + 0.5 * np.mean(to_train == to_holdout))
