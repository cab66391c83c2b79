"""FairGANSampler.fit_parquet: training on a Parquet dataset larger than memory.

A mixin of :class:`~fairsynth.sampler.FairGANSampler`. It reads the dataset
with :mod:`fairsynth.sampler._parquet`: one pass counts the cells and draws the
rows held in memory, one pass finds the tokens each cell allows, and training
passes stream the rest (:mod:`fairsynth.gan._streaming`).
"""

import os

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ..metrics._validation import sensitive_keys
from ..preprocessing import TabularTokenizer
from . import _parquet as parquet
from ._cache import cached
from ._cells import TokenPairs, cell_codes
from ._validation import check_count

DEFAULT_SAMPLE_ROWS = 100_000


class ParquetFitting:
    """The out-of-core training side of FairGANSampler."""

    def fit_parquet(
        self,
        source,
        target,
        *,
        columns=None,
        sample_rows=DEFAULT_SAMPLE_ROWS,
        epoch_rows=None,
    ):
        """Learn a Parquet dataset too large for memory, reading it in chunks.

        The same fit as :meth:`fit`, with memory bounded by the chunks, buffers
        and sample below rather than by the rows. One pass over the dataset
        counts every ``(group, class)`` cell exactly, so ``cell_counts_``,
        ``sampling_strategy_`` and the rows :meth:`sample` draws are those of the
        whole dataset, and keeps in memory a uniform sample of ``sample_rows``
        rows. The encoder (``tokenizer_``) and the ``boundary_focus`` ranker are
        fitted on that sample (with, for the encoder, every value of the
        non-numeric columns and a row with a missing value for each column that
        has some; for the ranker, up to 1,000 rows of each cell, so that every
        cell is known); its first ``validation_fraction`` is held out from
        training to choose the best epoch and stop. Training batches are drawn
        from per-cell buffers that the row groups, read in a new random order
        each pass, refill, with the cell shares :meth:`fit` gives its batches.

        It is a method of its own, not a kind of ``X`` for :meth:`fit`, because
        it returns nothing that ``fit_resample`` could, and takes what only a
        dataset on disk needs (``target``, ``columns``, ``sample_rows``); the
        fitted sampler is the same as :meth:`fit`'s. See the user guide's page on
        scaling.

        Parameters
        ----------
        source : str, path-like or pyarrow.dataset.Dataset
            A Parquet file, a folder of Parquet files, or a Parquet dataset. Write
            it in row groups (``pyarrow.parquet.write_table(...,
            row_group_size=...)``): they are the units read in random order.
        target : str
            The column of class labels.
        columns : list of str, default=None
            The feature columns to learn, sensitive columns included (they are
            read anyway); None learns every column but ``target``.
        sample_rows : int, default=100_000
            Rows of the uniform sample held in memory, at least 2.
        epoch_rows : int, default=None
            Rows drawn per epoch (``epochs`` counts these, as do
            ``adversarial_epochs``), the stream carrying on where the last epoch
            stopped, so that a large dataset is validated, and can stop, more
            often than once a pass; None is one pass over the training rows.

        Returns
        -------
        self : FairGANSampler
            The fitted sampler, which samples, resamples (in-memory data with
            the dataset's columns), pickles and saves as after :meth:`fit`.

        Raises
        ------
        ValueError
            If ``source`` is not Parquet or has no rows, if ``target``, a
            sensitive column or a listed column is not in it, if the target or a
            sensitive column has missing values, or if the strategy needs rows of
            a cell that has none (as :meth:`fit` does). ``sample_weight`` and a
            callable ``sampling_strategy`` are not taken: they need every row.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> import pyarrow as pa
        >>> import pyarrow.parquet as pq
        >>> from fairsynth import FairGANSampler
        >>> from fairsynth.datasets import make_biased_classification
        >>> X, y = make_biased_classification(300, random_state=0)
        >>> path = Path(tempfile.mkdtemp()) / "rows.parquet"
        >>> table = pa.Table.from_pandas(X.assign(label=y), preserve_index=False)
        >>> pq.write_table(table, path, row_group_size=100)
        >>> sampler = FairGANSampler(sensitive="group", epochs=1, random_state=0)
        >>> sampler = sampler.fit_parquet(path, "label", sample_rows=200)
        >>> int(sampler.cell_counts_["n_real"].sum())
        300
        >>> X_new, y_new = sampler.sample(5)
        >>> list(X_new.columns) == list(X.columns)
        True
        """
        self._validate_params()
        check_count("sample_rows", sample_rows, 2)
        if epoch_rows is not None:
            check_count("epoch_rows", epoch_rows, 1)
        if callable(self.sampling_strategy):
            raise ValueError(
                "fit_parquet takes no callable sampling_strategy: it would need "
                "every row in memory. Pass a name or a dict of cell targets."
            )
        return self._forget_on_error(
            self._fit_parquet, source, target, columns, sample_rows, epoch_rows
        )

    def _fit_parquet(self, source, target, columns, sample_rows, epoch_rows):
        self._rng = check_random_state(self.random_state)
        key_seed, *seeds = self._rng.randint(2**31 - 1, size=3).tolist()
        fragments, schema = parquet.row_groups(source)
        read = _columns_to_read(schema.names, target, columns, self.sensitive)
        cell_columns = [*sensitive_keys(self.sensitive), target]
        found = parquet.scan(
            parquet.keyed_chunks(fragments, read, range(len(fragments)), key_seed),
            cell_columns,
            sample_rows,
        )
        frame, cell_ids = self._read_scan(found, cell_columns)
        self._warn_risky(frame, stacklevel=5)
        self.lambda_fair_ = self._resolve_lambda_fair()
        self._fit_ranker(frame, cell_ids)
        stream = _Stream(fragments, read, target, key_seed, found, self)
        fingerprint = (_files(fragments), read, target, sample_rows, epoch_rows)
        self.tokenizer_, self.net_ = cached(
            self.memory,
            (self._training_params(), seeds, key_seed, fingerprint),
            lambda: self._train_streamed(stream, seeds, epoch_rows),
        )
        self._trained_params = self.get_params(deep=False)
        return self

    def _read_scan(self, found, cell_columns):
        """Index the cells of the rows in memory, then plan on the dataset's counts.

        The rows in memory (sample, reserve and rows with missing values) hold
        every cell, so they give the groups and classes; the counts are all rows'.
        Returns those rows' features and cell numbers, as :meth:`_read` does.
        """
        _check_complete(found.counts, cell_columns)
        target = cell_columns[-1]
        known = pd.concat([found.sample, found.reserve, found.missing])
        known = known[~known.index.duplicated()]
        frame, labels, cell_ids = self._index(
            known.drop(columns=target), known[target], reset=True
        )
        self._counts = self._cell_array(found.counts)
        if not self.sensitive_:
            # imbalanced-learn's strategies count the classes of an array of labels.
            labels = np.repeat(self.classes_, self._counts.sum(0))
        self._plan(labels, frame)
        return frame, cell_ids

    def _cell_array(self, counts):
        """Return the scan's cell counts as an ``(n_groups, n_classes)`` array."""
        return np.array(
            [
                [counts.get((*values, label), 0) for label in self.classes_.tolist()]
                for values in (
                    [v[c] for v, c in zip(self.sensitive_values_, codes, strict=True)]
                    for codes in self._group_codes.tolist()
                )
            ],
            dtype=np.int64,
        )

    def _train_streamed(self, stream, seeds, epoch_rows):
        """Fit the tokenizer on the sample and train on the stream; return both."""
        from ..gan import seeded
        from ..gan._streaming import BUFFER_ROWS, StreamedRows
        from ._training import build_net, check_memory, join_processes

        seeds = join_processes(self, seeds)
        self.tokenizer_ = TabularTokenizer(n_bins=self.n_bins, random_state=seeds[0])
        self.tokenizer_.fit(stream.encoder_rows())
        cardinalities = [*(len(v) for v in self.sensitive_values_), len(self.classes_)]
        pairs = TokenPairs(self.tokenizer_.vocab_sizes_, cardinalities)
        for chunk in stream.chunks(None, held_out=True):
            pairs.add(chunk["tokens"], chunk["codes"])
        validation, reserve = stream.validation(), stream.reserve()
        train_counts = self._counts - _cell_counts(validation, self._counts.shape)
        rows = StreamedRows(
            stream.chunks, train_counts, reserve, validation, epoch_rows
        )
        net = build_net(self, cardinalities, rows.epoch_rows, pairs.allowed())
        check_memory(
            BUFFER_ROWS + len(reserve["tokens"]),
            self.tokenizer_.vocab_sizes_,
            net.batch_size,
        )
        with seeded(seeds[1], net.device):
            net.fit(rows, None)
        return self.tokenizer_, net


class _Stream:
    """A scanned dataset's rows as the net's arrays: the sample's and the chunks'.

    Rows whose key is at most ``threshold`` (the smallest keys of the sample,
    ``validation_fraction`` of it) are held out for validation.
    """

    def __init__(self, fragments, read, target, seed, found, sampler):
        self.fragments, self.read, self.target = fragments, read, target
        self.seed, self.found, self.sampler = seed, found, sampler
        n_valid = round(sampler.validation_fraction * len(found.sample))
        self.threshold = found.sample.index[n_valid - 1] if n_valid else -np.inf

    def encoder_rows(self):
        """Return the encoder's rows: the sample, and the rows with missing values."""
        rows = pd.concat([self.found.sample, self.found.missing])
        return self._features(rows)

    def validation(self):
        """Return the held-out rows as the net's arrays, or None without any."""
        rows = self.found.sample[self.found.sample.index <= self.threshold]
        return self.arrays(rows) if len(rows) else None

    def reserve(self):
        """Return the training rows in memory (sample and reserve) as arrays."""
        rows = pd.concat([self.found.sample, self.found.reserve])
        rows = rows[~rows.index.duplicated() & (rows.index > self.threshold)]
        return self.arrays(rows)

    def chunks(self, n_pass, *, held_out=False):
        """Yield the chunks of a pass: row groups in pass ``n_pass``'s order.

        None reads them in the dataset's order. Held-out rows are left out
        unless ``held_out``.
        """
        order = range(len(self.fragments))
        if n_pass is not None:
            order = np.random.default_rng([self.seed, n_pass]).permutation(order)
        for frame in parquet.keyed_chunks(self.fragments, self.read, order, self.seed):
            if not held_out:
                frame = frame[frame.index > self.threshold]
            if len(frame):
                yield self.arrays(frame)

    def _features(self, rows):
        """Return the features of ``rows``, non-numeric ones as categories."""
        rows = rows.drop(columns=self.target)
        dtypes = self.found.dtypes
        return self.sampler._features(
            rows.astype({name: dtypes[name] for name in rows.columns if name in dtypes})
        )

    def arrays(self, rows):
        """Return ``rows`` as the net's arrays: ``tokens``, ``codes``, ``group``."""
        sampler = self.sampler
        group_ids, class_codes = cell_codes(
            rows,
            rows[self.target].to_numpy(),
            sampler.sensitive_,
            sampler.sensitive_values_,
            sampler._group_codes,
            sampler.classes_,
        )
        codes = np.column_stack([sampler._group_codes[group_ids], class_codes])
        return {
            "tokens": sampler.tokenizer_.transform(self._features(rows)),
            "codes": codes.astype(np.int64),
            "group": group_ids,
        }


def _columns_to_read(names, target, columns, sensitive):
    """Return the columns to read, features then target, checked against the data."""
    names = list(names)
    if target not in names:
        raise ValueError(
            f"The target column {target!r} is not in the dataset, whose columns are "
            f"{names}. Pass the column of class labels as target."
        )
    features = [n for n in names if n != target] if columns is None else list(columns)
    features += [n for n in sensitive_keys(sensitive) if n not in features]
    absent = [n for n in features if n not in names]
    if absent:
        raise ValueError(
            f"The column(s) {absent} (sensitive or listed in columns) are not in the "
            f"dataset, whose columns are {names}."
        )
    if target in features:
        raise ValueError(f"columns lists the target {target!r}; leave it out.")
    return [*features, target]


def _check_complete(counts, cell_columns):
    """Refuse missing values in the target and the sensitive columns."""
    for position, name in enumerate(cell_columns):
        n_missing = sum(n for key, n in counts.items() if pd.isna(key[position]))
        if n_missing:
            raise ValueError(
                f"The column {name!r} has {n_missing:,} missing values in the "
                "dataset; labels and sensitive groups must be complete. Fill them "
                "in (e.g. an 'unknown' group) or filter those rows out."
            )


def _cell_counts(arrays, shape):
    """Rows per ``(group, class)`` cell of the net's ``arrays`` (zeros for None)."""
    if arrays is None:
        return np.zeros(shape, dtype=np.int64)
    cells = arrays["group"] * shape[1] + arrays["codes"][:, -1]
    return np.bincount(cells, minlength=shape[0] * shape[1]).reshape(shape)


def _files(fragments):
    """Each file's path, size and modification time, for the cache of networks."""
    paths = dict.fromkeys(fragment.path for fragment in fragments)
    return [
        (path, os.stat(path).st_size, os.stat(path).st_mtime_ns)
        if os.path.exists(path)
        else (path,)
        for path in paths
    ]
