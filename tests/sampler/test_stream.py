"""Streaming generated rows to Parquet, and partitioned generation."""

import warnings

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from _helpers import TINY_GAN

from fairsynth import FairGANSampler
from fairsynth.datasets import make_biased_classification
from fairsynth.sampler import _stream, sample_partitions


@pytest.fixture(scope="module")
def biased():
    return make_biased_classification(300, bias=0.6, random_state=0)


@pytest.fixture(scope="module")
def fitted(biased):
    return FairGANSampler(sensitive="group", **TINY_GAN).fit(*biased)


def test_one_file_of_row_groups_with_the_types_of_sample(fitted, biased, tmp_path):
    X, y = biased
    path = fitted.sample_to_parquet(tmp_path / "rows.parquet", 1000, chunk_rows=300)
    assert [pq.ParquetFile(path).metadata.row_group(i).num_rows for i in range(4)] == [
        300,
        300,
        300,
        100,
    ]
    written = pd.read_parquet(path)
    assert list(written.columns) == [*X.columns, y.name]
    assert written.drop(columns=y.name).dtypes.equals(X.dtypes)
    # Each chunk is a fair sample of its own size: real group sizes, and in every
    # group the overall class shares.
    chunk = written.iloc[:300]
    assert np.allclose(
        chunk["group"].value_counts(normalize=True).sort_index(),
        X["group"].value_counts(normalize=True).sort_index(),
        atol=0.01,
    )


def test_memory_holds_one_chunk(fitted, tmp_path, monkeypatch):
    sizes = []
    generate = FairGANSampler._generate

    def recorded(self, cells, **kwargs):
        sizes.append(int(np.sum(cells)))
        return generate(self, cells, **kwargs)

    monkeypatch.setattr(FairGANSampler, "_generate", recorded)
    fitted.sample_to_parquet(tmp_path / "rows.parquet", 1000, chunk_rows=300, seed=0)
    assert sizes == [300, 300, 300, 100]


def test_seeds_reproduce_and_differ(fitted, tmp_path):
    def rows(name, **kwargs):
        path = tmp_path / f"{name}.parquet"
        return pd.read_parquet(fitted.sample_to_parquet(path, 500, **kwargs))

    first = rows("a", chunk_rows=200, seed=1)
    pd.testing.assert_frame_equal(rows("b", chunk_rows=200, seed=1), first)
    assert not rows("c", chunk_rows=200, seed=2).equals(first)
    # Without a seed, each call draws a new one from the sampler's random state.
    assert not rows("d", chunk_rows=200).equals(rows("e", chunk_rows=200))


def test_groups_and_label_are_fixed(fitted, tmp_path):
    path = fitted.sample_to_parquet(
        tmp_path / "g.parquet", 100, groups={"group": "g1"}, y=1, target="outcome"
    )
    written = pd.read_parquet(path)
    assert set(written["group"]) == {"g1"} and set(written["outcome"]) == {1}


def test_an_error_mid_stream_leaves_no_file(fitted, tmp_path, monkeypatch):
    path = tmp_path / "rows.parquet"
    path.write_bytes(b"kept")
    chunk_frame = _stream.chunk_frame
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return chunk_frame(*args, **kwargs)

    monkeypatch.setattr(_stream, "chunk_frame", failing)
    with pytest.raises(KeyboardInterrupt):
        fitted.sample_to_parquet(path, 1000, chunk_rows=300)
    assert path.read_bytes() == b"kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.parquet"]


def test_partitions_hold_the_rows_of_one_streamed_file(fitted, tmp_path):
    files = sample_partitions(
        fitted, tmp_path / "dataset", 1000, partition_rows=300, seed=5
    )
    assert [f.name for f in files] == [f"part-0000{i}.parquet" for i in range(4)]
    one_file = fitted.sample_to_parquet(
        tmp_path / "one.parquet", 1000, chunk_rows=300, seed=5
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "dataset"), pd.read_parquet(one_file)
    )


def test_partitions_refuse_a_folder_in_use(fitted, tmp_path):
    (tmp_path / "dataset").mkdir()
    (tmp_path / "dataset" / "mine.txt").write_text("")
    with pytest.raises(FileExistsError, match="not an empty folder; remove it"):
        sample_partitions(fitted, tmp_path / "dataset", 10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": 0}, "n_samples"),
        ({"n_samples": 10, "chunk_rows": 0}, "chunk_rows must be a positive integer"),
        ({"n_samples": 10, "target": "num_0"}, "target='num_0' is also a column"),
    ],
)
def test_bad_arguments_are_refused(fitted, tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fitted.sample_to_parquet(tmp_path / "rows.parquet", **kwargs)
    assert not (tmp_path / "rows.parquet").exists()


class InProcessClient:
    """Runs a function as a Dask client runs it on each worker, here."""

    def run(self, function):
        return {"here": function()}


def test_workers_that_trim_memory_get_a_warning(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    with pytest.warns(RuntimeWarning, match="MALLOC_TRIM_THRESHOLD_=65536"):
        _stream._warn_if_workers_trim(InProcessClient())
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _stream._warn_if_workers_trim(InProcessClient())
