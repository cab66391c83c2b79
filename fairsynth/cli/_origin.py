"""Which rows of a resampled table are real, copies of real rows, or generated."""

import numpy as np
import pandas as pd

from ._io import CLIError

ORIGIN_COLUMN = "row_origin"
ORIGINS = ("real", "copied", "generated")


def row_origins(real, table):
    """Return each row's origin in ``table``, a resampled version of ``real``.

    The ``row_origin`` column, which ``fairsynth resample --mark-origin`` writes,
    says it when ``table`` has one. Otherwise the leading rows equal to the real
    table, in its order, are its real rows (``resample`` writes them first); later
    rows equal to a real row are copies, and the rest are generated.
    """
    if ORIGIN_COLUMN in table.columns:
        origin = table[ORIGIN_COLUMN].astype(str).to_numpy(dtype=object)
        unknown = sorted(set(origin) - set(ORIGINS))
        if unknown:
            raise CLIError(
                f"The {ORIGIN_COLUMN} column holds {unknown}; it may hold only "
                f"{', '.join(ORIGINS)}, as fairsynth resample --mark-origin writes."
            )
        return origin
    real_rows = _row_hashes(real)
    rows = _row_hashes(table[real.columns])
    n_leading = min(len(real_rows), len(rows))
    mismatch = np.flatnonzero(rows[:n_leading] != real_rows[:n_leading])
    n_real = int(mismatch[0]) if len(mismatch) else n_leading
    origin = np.full(len(table), "generated", dtype=object)
    origin[:n_real] = "real"
    if n_real:
        added = np.arange(n_real, len(table))
        origin[added[np.isin(rows[added], real_rows)]] = "copied"
    return origin


def _row_hashes(frame):
    """One hash per row, equal for rows with equal values (missing ones included)."""
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()
