"""Privacy checks: how close synthetic rows come to real ones."""

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils import check_random_state

from ._quality import as_float, category_labels, check_frames, is_numeric


def _encode(real, synthetic):
    """Put both tables in one numeric space fitted on ``real``.

    Numbers are scaled to [0, 1] by the real range; a missing number becomes 0 plus
    a 1 in a missing-indicator column. Categories are one-hot encoded, missing
    being a category; a category unseen in ``real`` encodes as all zeros.
    """
    blocks = ([], [])
    for name in real.columns:
        if is_numeric(real[name]):
            values = [as_float(frame[name]) for frame in (real, synthetic)]
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
            texts = [
                category_labels(frame[name])[:, None] for frame in (real, synthetic)
            ]
            encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
            encoder.fit(texts[0])
            for block, column in zip(blocks, texts, strict=True):
                block.append(encoder.transform(column))
    return tuple(np.hstack(block) for block in blocks)


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
    real_codes, synthetic_codes = _encode(real, synthetic)
    neighbours = NearestNeighbors(n_neighbors=1).fit(real_codes)
    distances, _ = neighbours.kneighbors(synthetic_codes)
    return distances[:, 0]


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
