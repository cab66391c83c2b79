"""Reading a Parquet dataset chunk by chunk, for training data larger than memory.

:meth:`FairGANSampler.fit_parquet <fairsynth.FairGANSampler.fit_parquet>` reads
the dataset in one pass (:func:`scan`) that counts the cells and draws the rows
held in memory, then in passes of training chunks (:func:`keyed_chunks`). Every
row gets a uniform random key from the fit's seed and its row group, the same in
every pass: the sample is the rows of smallest keys, so later passes know which
rows were held out without storing them.
"""

import os
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Rows read at once: the memory of reading does not grow with the dataset.
CHUNK_ROWS = 65_536
# Rows of each cell kept besides the uniform sample (all of a smaller cell), so that
# every cell is known and starts the training buffers, however rare.
CELL_RESERVE_ROWS = 1_000
# A non-numeric column with more distinct values than this is an identifier or
# free text: the encoder could not learn it, and its values would fill memory.
MAX_DISTINCT_VALUES = 100_000


@dataclass
class Scan:
    """What one pass over a dataset keeps: counts, and rows indexed by their key.

    Attributes
    ----------
    sample : DataFrame
        The ``sample_rows`` rows of smallest key: a uniform sample.
    reserve : DataFrame
        Each cell's ``CELL_RESERVE_ROWS`` rows of smallest key.
    missing : DataFrame
        For each column with missing values, the first row that has one.
    counts : Counter
        Rows per cell, keyed by ``(*sensitive values, label)``.
    dtypes : dict
        A categorical dtype for every non-numeric column, with the values of all
        its rows: the encoder's view of it. Columns stored as categories have it
        in the rows above too; other columns keep their dtype there.
    """

    sample: pd.DataFrame
    reserve: pd.DataFrame
    missing: pd.DataFrame
    counts: Counter
    dtypes: dict


def row_groups(source):
    """Open ``source`` and return its row groups, in the order of files and groups.

    Parameters
    ----------
    source : str, path-like or pyarrow.dataset.Dataset
        A Parquet file, a folder of Parquet files, or a dataset.

    Returns
    -------
    fragments : list of pyarrow.dataset.ParquetFileFragment
        One per row group.
    schema : pyarrow.Schema
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    if not isinstance(source, ds.Dataset | str | os.PathLike):
        raise TypeError(
            "fit_parquet reads a Parquet file or folder (a path) or a "
            f"pyarrow.dataset.Dataset; got {type(source).__name__}. For a DataFrame, "
            "call fit."
        )
    try:
        dataset = source
        if not isinstance(source, ds.Dataset):
            dataset = ds.dataset(os.fspath(source), format="parquet")
        fragments = [
            group
            for fragment in dataset.get_fragments()
            for group in fragment.split_by_row_group()
        ]
    except (pa.ArrowInvalid, AttributeError) as exc:
        raise ValueError(
            f"{source!r} is not a Parquet dataset ({exc}). Pass a Parquet file, a "
            "folder of them (pyarrow.parquet.write_table writes one), or a "
            "pyarrow.dataset.Dataset of format 'parquet'."
        ) from exc
    return fragments, dataset.schema


def keyed_chunks(fragments, columns, order, seed):
    """Yield the rows of ``fragments[i]`` for ``i`` in ``order``, in chunks.

    Each chunk is a DataFrame of ``columns`` whose index is the rows' keys:
    uniforms drawn from ``seed`` and the row group, so that a row has the same
    key whatever the order of the row groups.
    """
    for i in order:
        rng = np.random.default_rng([seed, i])
        for batch in fragments[i].to_batches(columns=columns, batch_size=CHUNK_ROWS):
            if batch.num_rows:
                frame = batch.to_pandas()
                frame.index = pd.Index(rng.random(len(frame)), name=None)
                yield frame


def scan(chunks, cell_columns, sample_rows):
    """Count the cells and keep the sample, reserve and missing rows (one pass).

    Parameters
    ----------
    chunks : iterable of DataFrame
        The chunks of :func:`keyed_chunks`.
    cell_columns : list of str
        The sensitive columns, then the target.
    sample_rows : int
        Rows of the uniform sample.

    Returns
    -------
    Scan
    """
    counts, values, missing = Counter(), {}, {}
    sample = reserve = None
    for frame in chunks:
        cells = frame.groupby(cell_columns, observed=True, dropna=False, sort=False)
        for key, size in cells.size().items():
            counts[key if isinstance(key, tuple) else (key,)] += size
        _record_values(frame, values)
        for name in frame.columns[frame.isna().any().to_numpy()]:
            missing.setdefault(name, frame[frame[name].isna()].iloc[:1])
        sample = _smallest_keys(sample, frame, sample_rows)
        reserve = _smallest_keys(reserve, frame, CELL_RESERVE_ROWS, by=cell_columns)
    if sample is None:
        raise ValueError("The Parquet dataset has no rows; fit_parquet needs some.")
    dtypes = {
        name: pd.CategoricalDtype(list(seen) if stored else sorted(seen, key=str))
        for name, (stored, seen) in values.items()
    }
    # Columns stored as categories keep their dtype, with every chunk's categories.
    categorical = {
        name: dtypes[name] for name, (ordered, _) in values.items() if ordered
    }
    missing = pd.concat(list(missing.values())) if missing else sample.iloc[:0]
    return Scan(
        *(part.astype(categorical) for part in (sample, reserve, missing)),
        counts,
        dtypes,
    )


def _record_values(frame, values):
    """Add the categories (values) of the chunk's non-numeric columns to ``values``.

    ``values[name]`` is ``(stored as categories, {value: None})``.
    """
    for name in frame.columns:
        column = frame[name]
        is_category = isinstance(column.dtype, pd.CategoricalDtype)
        if is_category:
            seen = column.cat.categories
        elif pd.api.types.is_numeric_dtype(column.dtype) and column.dtype != bool:
            continue
        else:
            seen = column.dropna().unique()
        known = values.setdefault(name, (is_category, {}))[1]
        known.update(dict.fromkeys(seen))
        if len(known) > MAX_DISTINCT_VALUES:
            raise ValueError(
                f"Column {name!r} has more than {MAX_DISTINCT_VALUES:,} distinct "
                "values, as identifiers and free text do; a generator cannot learn "
                "it. Leave it out with fit_parquet(..., columns=[...])."
            )


def _smallest_keys(kept, frame, n_rows, by=None):
    """Keep the ``n_rows`` smallest-key rows of ``kept`` and ``frame`` (per ``by``)."""
    rows = frame if kept is None else pd.concat([kept, frame])
    rows = rows.sort_index(kind="stable")
    if by is None:
        return rows.iloc[:n_rows]
    return rows.groupby(by, observed=True, dropna=False).head(n_rows)
