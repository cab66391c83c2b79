"""Which rows of a resampled table are real, copied or generated, and what changed."""

import sys

import numpy as np
import pandas as pd

from ..metrics import category_shift
from ..metrics._shift import cell_keys
from ._io import CLIError

ORIGIN_COLUMN = "row_origin"
ORIGINS = ("real", "copied", "generated")
# A categorical column whose shares in the generated rows are this far (total
# variation) from those of the real rows of their cells gets a warning: a repair of
# one attribute should not move the others.
SHIFT_WARNING = 0.1


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


def side_effects(real, table, origin, keys):
    """Score the generated rows' categories against real rows of their cells.

    ``keys`` (the sensitive columns and the target) define the cells; see
    :func:`fairsynth.metrics.category_shift`. None without generated rows.
    """
    generated = table[origin == "generated"]
    if generated.empty:
        return None
    return category_shift(
        real,
        generated,
        real_cells=cell_keys(real, keys),
        added_cells=cell_keys(generated, keys),
    )


def warn_side_effects(shift):
    """Warn about the columns that the generated rows shifted past SHIFT_WARNING."""
    shifted = shift[shift > SHIFT_WARNING]
    if len(shifted):
        listed = ", ".join(f"{name} ({value:.2f})" for name, value in shifted.items())
        print(
            f"fairsynth: warning: the generated rows' {listed} differ from the real "
            f"rows of their cells by more than {SHIFT_WARNING} (total variation of "
            "the shares); compare them before you train on them.",
            file=sys.stderr,
        )
