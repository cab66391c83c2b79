"""Generated rows streamed to Parquet chunk by chunk, or partitioned over a cluster.

Every chunk is a fair sample of its own size, drawn with its own seed spawned from
one :class:`numpy.random.SeedSequence`. A chunk's rows therefore depend on the seed
and its position only: one file written in sequence and a dataset whose partitions
are written by any number of Dask workers hold the same rows.
"""

import copy
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._files import atomic_path
from ._validation import check_n_samples

DEFAULT_CHUNK_ROWS = 100_000

TRIMMING_WORKERS = (
    "The Dask workers run with MALLOC_TRIM_THRESHOLD_={value} (Dask sets 65536 "
    "unless told otherwise): glibc then maps and unmaps every large array the "
    "networks make, and generation runs 2 to 3 times slower. Start the workers "
    "without it, e.g. create the LocalCluster inside dask.config.set("
    "{{'distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_': None}})."
)


def _require_pyarrow():
    try:
        import pyarrow.parquet as pq
    except ImportError as error:
        raise ImportError(
            "Writing Parquet needs pyarrow: pip install pyarrow "
            "(or pip install 'fairsynth[parquet]')."
        ) from error
    return pq


def chunk_plan(n_samples, chunk_rows, seed):
    """Return ``(rows, seed)`` for each chunk of ``n_samples`` rows.

    The seeds are spawned from ``SeedSequence(seed)``, so that chunk ``i`` draws
    the same rows wherever and whenever it is generated.
    """
    check_n_samples(n_samples)
    if not isinstance(chunk_rows, int | np.integer) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer; got {chunk_rows!r}.")
    sizes = [
        min(chunk_rows, n_samples - start) for start in range(0, n_samples, chunk_rows)
    ]
    children = np.random.SeedSequence(seed).spawn(len(sizes))
    return [
        (size, int(child.generate_state(1, np.uint64)[0]))
        for size, child in zip(sizes, children, strict=True)
    ]


def _seeded_copy(sampler, seed):
    """Return a shallow copy of ``sampler`` that draws from ``seed``.

    A copy, not a swapped generator: Dask runs several partitions at once on one
    worker's copy of the sampler, and the networks are only read.
    """
    seeded = copy.copy(sampler)
    seeded._rng = np.random.RandomState(np.random.SeedSequence(seed).generate_state(4))
    return seeded


def chunk_frame(sampler, rows, seed, *, groups=None, y=None, target=None):
    """Generate one chunk as a DataFrame: X's columns, then the label as ``target``."""
    cells = sampler._fair_cells(rows, groups, y)
    frame, labels = _seeded_copy(sampler, seed)._generate(cells)
    frame.columns = [str(column) for column in frame.columns]
    name = target or _target_name(sampler)
    if name in frame.columns:
        raise ValueError(
            f"target={name!r} is also a column of X; pass another target name."
        )
    return frame.assign(**{name: labels})


def _target_name(sampler):
    template = sampler._target_info[0]
    name = getattr(template, "name", None)
    return name if isinstance(name, str) else "label"


class StreamedSampling:
    """The streaming methods of :class:`~fairsynth.FairGANSampler`."""

    def sample_to_parquet(
        self,
        path,
        n_samples,
        *,
        chunk_rows=DEFAULT_CHUNK_ROWS,
        groups=None,
        y=None,
        target=None,
        seed=None,
        progress=False,
    ):
        """Generate rows straight into one Parquet file, a chunk at a time.

        Memory is bounded by the chunk, not by ``n_samples``: each chunk is
        generated, written as one row group and dropped. The file is written
        whole or not at all, so an error or Ctrl-C leaves no partial file.

        Parameters
        ----------
        path : str or path-like
            The Parquet file to write; an existing file is replaced.
        n_samples : int
            Number of rows.
        chunk_rows : int, default=100_000
            Rows per chunk (and per Parquet row group).
        groups, y : see :meth:`sample`
            Sensitive values, and a class, that every row must have.
        target : str, default=None
            Name of the label column; by default y's name in ``fit``, else
            ``"label"``.
        seed : int, default=None
            Seed of the rows: the same seed and ``chunk_rows`` give the same file,
            and the same rows as :func:`~fairsynth.sampler.sample_partitions`. By
            default a seed is drawn from the sampler's random state.
        progress : bool, default=False
            Show a progress bar on standard error.

        Returns
        -------
        path : pathlib.Path
            The file written.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> import pandas as pd
        >>> from fairsynth import FairGANSampler
        >>> from fairsynth.datasets import make_biased_classification
        >>> X, y = make_biased_classification(300, random_state=0)
        >>> sampler = FairGANSampler(sensitive="group", epochs=1, random_state=0)
        >>> path = Path(tempfile.mkdtemp()) / "rows.parquet"
        >>> _ = sampler.fit(X, y).sample_to_parquet(path, 1000, chunk_rows=300, seed=0)
        >>> pd.read_parquet(path).shape
        (1000, 10)
        """
        from tqdm.auto import tqdm

        pq = _require_pyarrow()
        chunks = sample_chunks(
            self, n_samples, chunk_rows=chunk_rows, seed=seed, groups=groups, y=y,
            target=target,
        )  # fmt: skip
        with (
            atomic_path(path) as temporary,
            tqdm(total=n_samples, unit="rows", disable=not progress) as bar,
        ):
            writer = None
            try:
                for frame in chunks:
                    table = _arrow_table(frame, writer and writer.schema)
                    writer = writer or pq.ParquetWriter(temporary, table.schema)
                    writer.write_table(table)
                    bar.update(len(frame))
            finally:
                if writer is not None:
                    writer.close()
        return Path(path)

    def _chunk_plan(self, n_samples, chunk_rows, seed):
        check_is_fitted(self, "net_")
        if seed is None:
            seed = int(self._rng.randint(np.iinfo(np.int32).max))
        return chunk_plan(n_samples, chunk_rows, seed)


def sample_chunks(sampler, n_samples, *, chunk_rows, seed=None, **options):
    """Yield the chunks of :meth:`~FairGANSampler.sample_to_parquet` as DataFrames.

    ``options`` are ``groups``, ``y`` and ``target``.
    """
    for rows, chunk_seed in sampler._chunk_plan(n_samples, chunk_rows, seed):
        yield chunk_frame(sampler, rows, chunk_seed, **options)


def _arrow_table(frame, schema):
    import pyarrow as pa

    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def sample_partitions(
    sampler,
    directory,
    n_samples,
    *,
    partition_rows=DEFAULT_CHUNK_ROWS,
    seed=0,
    client=None,
    groups=None,
    y=None,
    target=None,
):
    """Generate a Parquet dataset, one file per partition, optionally on Dask.

    Partition ``i`` is drawn with the ``i``-th seed spawned from ``seed``, so the
    same seed and ``partition_rows`` give the same dataset whatever the number of
    workers, and the same rows, in order, as
    :meth:`FairGANSampler.sample_to_parquet` with ``chunk_rows=partition_rows``.
    The dataset appears whole or not at all: partitions are written into a
    temporary folder beside ``directory``, which is renamed when all are done.

    Parameters
    ----------
    sampler : FairGANSampler
        A fitted sampler.
    directory : str or path-like
        The folder to create; it must not exist yet, or be empty.
    n_samples : int
        Number of rows in all.
    partition_rows : int, default=100_000
        Rows per partition file.
    seed : int, default=0
        Seed of the rows.
    client : dask.distributed.Client, default=None
        The cluster to generate on: the sampler is sent to every worker once, and
        the partitions are generated in parallel. With None, they are generated
        one after another in this process.
    groups, y, target : see :meth:`FairGANSampler.sample_to_parquet`

    Returns
    -------
    list of pathlib.Path
        The partition files, in order.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from fairsynth import FairGANSampler
    >>> from fairsynth.datasets import make_biased_classification
    >>> from fairsynth.sampler import sample_partitions
    >>> X, y = make_biased_classification(300, random_state=0)
    >>> sampler = FairGANSampler(sensitive="group", epochs=1, random_state=0)
    >>> folder = Path(tempfile.mkdtemp()) / "rows"
    >>> files = sample_partitions(sampler.fit(X, y), folder, 1000, partition_rows=300)
    >>> len(files), len(pd.read_parquet(folder))
    (4, 1000)
    """
    _require_pyarrow()
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise FileExistsError(
            f"{directory} exists and is not an empty folder; remove it or choose "
            "another folder for the dataset."
        )
    plan = sampler._chunk_plan(n_samples, partition_rows, seed)
    names = [f"part-{i:05d}.parquet" for i in range(len(plan))]
    options = {"groups": groups, "y": y, "target": target}
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    try:
        jobs = [
            (staging / name, rows, s)
            for name, (rows, s) in zip(names, plan, strict=True)
        ]
        if client is None:
            for job in jobs:
                _write_partition(sampler, *job, options)
        else:
            _warn_if_workers_trim(client)
            shared = client.scatter(sampler, broadcast=True)
            futures = [
                client.submit(_write_partition, shared, *job, options, pure=False)
                for job in jobs
            ]
            client.gather(futures)
        if directory.exists():
            directory.rmdir()
        os.replace(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [directory / name for name in names]


def _malloc_trim_threshold():
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def _warn_if_workers_trim(client):
    """Warn when the workers' allocator settings make generation slow.

    Setting ``MALLOC_TRIM_THRESHOLD_`` at all turns off glibc's adaptive
    threshold for mapping memory, so each array above 128 kB is mapped afresh
    and its pages faulted in again.
    """
    values = set(client.run(_malloc_trim_threshold).values()) - {None}
    if values:
        warnings.warn(
            TRIMMING_WORKERS.format(value=min(values)), RuntimeWarning, stacklevel=3
        )


def _write_partition(sampler, path, rows, seed, options):
    """Generate and write one partition (run on a Dask worker, or here)."""
    pq = _require_pyarrow()
    frame = chunk_frame(sampler, rows, seed, **options)
    pq.write_table(_arrow_table(frame, None), path)
    return rows
