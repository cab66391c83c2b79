"""FairGANSampler.fit_parquet: training on a Parquet dataset, read in chunks."""

import pickle

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from _helpers import TINY_GAN

from fairsynth import FairGANSampler
from fairsynth.datasets import make_biased_classification
from fairsynth.gan import _streaming
from fairsynth.sampler import _parquet_fit


def write_dataset(folder, frame, files=2, row_group_size=500):
    """Write ``frame`` as ``files`` Parquet files of row groups; return the folder."""
    folder.mkdir(exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    bounds = np.linspace(0, len(frame), files + 1).astype(int)
    for n, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        part = table.slice(start, stop - start)
        pq.write_table(
            part, folder / f"part-{n}.parquet", row_group_size=row_group_size
        )
    return folder


@pytest.fixture(scope="module")
def biased():
    return make_biased_classification(3000, bias=0.6, random_state=0)


@pytest.fixture(scope="module")
def dataset(biased, tmp_path_factory):
    X, y = biased
    return write_dataset(tmp_path_factory.mktemp("data") / "rows", X.assign(label=y))


@pytest.fixture(scope="module")
def fitted(dataset):
    sampler = FairGANSampler(sensitive="group", **TINY_GAN)
    return sampler.fit_parquet(dataset, "label", sample_rows=1000)


def test_cells_are_counted_on_every_row(fitted, biased):
    in_memory = FairGANSampler(sensitive="group", **TINY_GAN)
    in_memory._validate_params()
    in_memory._read(*biased, reset=True)
    assert fitted.cell_counts_.equals(in_memory.cell_counts_)
    assert fitted.sampling_strategy_ == in_memory.sampling_strategy_


def test_samples_rows_of_the_dataset_columns_and_types(fitted, biased):
    X, y = biased
    X_new, y_new = fitted.sample(40)
    assert list(X_new.columns) == list(X.columns)
    assert X_new.dtypes.equals(X.dtypes)
    assert y_new.name == "label" and set(y_new) <= {0, 1}
    phases = [epoch["phase"] for epoch in fitted.net_.history]
    assert phases == ["likelihood", "adversarial"]


def test_resample_of_the_rows_in_memory_keeps_exact_cells(fitted, biased):
    X, y = biased
    X_res, y_res = fitted.resample(X, y)
    counts = fitted.resample_cell_counts_
    assert counts.equals(fitted.cell_counts_)
    got = pd.crosstab(X_res["group"], y_res).stack()
    for _, row in counts.iterrows():
        assert got[(row["group"], row["class"])] == row["n_total"]


def test_same_seed_same_model_other_seed_other(dataset):
    def sample(seed):
        params = {**TINY_GAN, "random_state": seed}
        sampler = FairGANSampler(sensitive="group", **params)
        return sampler.fit_parquet(dataset, "label", sample_rows=500).sample(30)[0]

    assert sample(0).equals(sample(0))
    assert not sample(0).equals(sample(1))


def test_encoder_fits_on_sample_rows_and_holds_out_a_share(dataset, monkeypatch):
    seen = {}
    fit = _parquet_fit.TabularTokenizer.fit

    def recorded(self, X, y=None):
        seen["encoder"] = len(X)
        return fit(self, X, y)

    monkeypatch.setattr(_parquet_fit.TabularTokenizer, "fit", recorded)
    sampler = FairGANSampler(sensitive="group", validation_fraction=0.2, **TINY_GAN)
    sampler.fit_parquet(dataset, "label", sample_rows=700)
    assert seen["encoder"] == 700
    assert sampler.net_.history[0]["valid_batch_count"] == 1


def test_accepts_a_pyarrow_dataset_and_small_buffers(dataset, monkeypatch, capsys):
    monkeypatch.setattr(_streaming, "BUFFER_ROWS", 200)
    monkeypatch.setattr(_streaming, "MIN_CELL_BUFFER", 20)
    sampler = FairGANSampler(sensitive="group", **{**TINY_GAN, "verbose": 1})
    sampler.fit_parquet(ds.dataset(dataset), "label", epoch_rows=320)
    assert [epoch["train_batch_count"] for epoch in sampler.net_.history] == [5, 5]
    assert "train_loss" in capsys.readouterr().out


def test_values_and_missing_values_outside_the_sample(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "city": rng.choice(["a", "b", "c"], 2000).astype(object),
            "x": rng.normal(size=2000),
            "sex": rng.choice(["F", "M"], 2000),
            "label": rng.integers(0, 2, 2000),
        }
    )
    # Only the last rows have a rare city and a missing x: a small sample misses
    # them, and the encoder must still know them.
    frame.loc[1995:, "city"] = "rare"
    frame.loc[1998:, "x"] = np.nan
    path = write_dataset(tmp_path / "rows", frame, files=1)
    sampler = FairGANSampler(sensitive="sex", **TINY_GAN)
    sampler.fit_parquet(path, "label", sample_rows=50)
    X_new, _ = sampler.sample(20)
    # As pandas reads the column: object, or str from pandas 3 on.
    assert X_new["city"].dtype == pd.read_parquet(path)["city"].dtype
    assert sampler.tokenizer_.transform(frame.loc[1995:, ["city", "x"]]).shape == (5, 2)


def test_without_a_sensitive_column(dataset):
    sampler = FairGANSampler(**TINY_GAN).fit_parquet(dataset, "label")
    assert sampler.cell_counts_["n_real"].sum() == 3000
    assert len(sampler.sample(10)[0]) == 10


def test_pickles_saves_and_loads(fitted, tmp_path):
    fitted.save(tmp_path / "sampler.zip")
    loaded = FairGANSampler.load(tmp_path / "sampler.zip")
    unpickled = pickle.loads(pickle.dumps(fitted))
    assert loaded.sample(10)[0].equals(unpickled.sample(10)[0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": "outcome"}, "target column 'outcome' is not in the dataset"),
        ({"columns": ["num_0", "nope"]}, r"\['nope'\].*are not in the"),
        ({"columns": ["num_0", "label"]}, "columns lists the target"),
        ({"sample_rows": 1}, "sample_rows must be an integer of at least 2"),
        ({"epoch_rows": 0}, "epoch_rows must be an integer of at least 1"),
    ],
)
def test_clear_errors_for_bad_arguments(dataset, kwargs, message):
    sampler = FairGANSampler(sensitive="group", **TINY_GAN)
    with pytest.raises(ValueError, match=message):
        sampler.fit_parquet(dataset, **{"target": "label", **kwargs})
    assert not hasattr(sampler, "net_")


def test_clear_errors_for_bad_datasets(biased, tmp_path):
    X, y = biased
    sampler = FairGANSampler(sensitive="group", **TINY_GAN)
    with pytest.raises(ValueError, match=r"\['sex'\].*are not in the"):
        FairGANSampler(sensitive="sex").fit_parquet(
            write_dataset(tmp_path / "ok", X.assign(label=y)), "label"
        )
    (tmp_path / "rows.csv").write_text(X.assign(label=y).to_csv())
    with pytest.raises(ValueError, match="is not a Parquet dataset"):
        sampler.fit_parquet(tmp_path / "rows.csv", "label")
    with pytest.raises(TypeError, match="For a DataFrame, call fit"):
        sampler.fit_parquet(X, "label")
    empty = write_dataset(tmp_path / "empty", X.assign(label=y).iloc[:0], files=1)
    with pytest.raises(ValueError, match="has no rows"):
        sampler.fit_parquet(empty, "label")
    unlabelled = X.assign(label=y.astype(float).mask(y.index % 500 == 0))
    with pytest.raises(ValueError, match="'label' has 6 missing values"):
        sampler.fit_parquet(write_dataset(tmp_path / "nan", unlabelled), "label")


def test_clear_errors_for_absent_cells_and_callables(biased, tmp_path):
    X, y = biased
    # Group g1 has no positive rows, which parity must add.
    keep = ~((X["group"] == "g1") & (y == 1))
    path = write_dataset(tmp_path / "rows", X[keep].assign(label=y[keep]))
    with pytest.raises(ValueError, match=r"class=1\): 0 rows"):
        FairGANSampler(sensitive="group", **TINY_GAN).fit_parquet(path, "label")
    sampler = FairGANSampler(sensitive="group", sampling_strategy=lambda y, g: {})
    with pytest.raises(ValueError, match="no callable sampling_strategy"):
        sampler.fit_parquet(path, "label")


def test_memory_reuses_the_networks_of_the_same_dataset(dataset, tmp_path, monkeypatch):
    trained = []
    train = FairGANSampler._train_streamed

    def counted(self, *args):
        trained.append(1)
        return train(self, *args)

    monkeypatch.setattr(FairGANSampler, "_train_streamed", counted)
    for _ in range(2):
        sampler = FairGANSampler(sensitive="group", memory=tmp_path, **TINY_GAN)
        sampler.fit_parquet(dataset, "label", sample_rows=500)
    assert trained == [1]
    assert len(sampler.sample(5)[0]) == 5
