"""Training once per fold (memory=), interrupts, resample's state, routing."""

import copy

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from _helpers import TINY_GAN
from imblearn.pipeline import Pipeline
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from fairsynth import FairGANSampler
from fairsynth.datasets import make_biased_classification
from fairsynth.gan._batches import cell_weights
from fairsynth.sampler import _training

# Six settings of the parameters that only choose rows.
GENERATION_GRID = {
    "resample__parity_strength": [1.0, 1.5, 2.0],
    "resample__copy_share": [0.0, 1.0],
}


@pytest.fixture(scope="module")
def biased():
    return make_biased_classification(300, bias=0.6, random_state=0)


@pytest.fixture
def trainings(monkeypatch):
    """The weights of every network training in this process, in order."""
    seen = []
    train_net = _training.train_net

    def counted(*args, **kwargs):
        seen.append(kwargs.get("weights"))
        return train_net(*args, **kwargs)

    monkeypatch.setattr(_training, "train_net", counted)
    return seen


def entries(folder):
    return sorted(folder.glob("fairsynth_networks/*.pkl"))


def search(memory, n_jobs):
    pipeline = Pipeline(
        [
            ("resample", FairGANSampler(sensitive="group", memory=memory, **TINY_GAN)),
            ("model", DummyClassifier()),
        ]
    )
    # refit=False: the refit on all rows would be a fourth training, of other data.
    return GridSearchCV(pipeline, GENERATION_GRID, cv=3, n_jobs=n_jobs, refit=False)


# ------------------------------------------------------------------ the cache
def test_search_trains_once_per_fold(biased, tmp_path, trainings):
    search(tmp_path, n_jobs=1).fit(*biased)
    assert len(trainings) == 3 and len(entries(tmp_path)) == 3


def test_concurrent_search_trains_once_per_fold(biased, tmp_path, trainings):
    # Threads share this process, so every training is counted; the lock keeps two
    # fits of one fold from both training.
    with joblib.parallel_backend("threading", n_jobs=2):
        search(tmp_path, n_jobs=2).fit(*biased)
    assert len(trainings) == 3


def test_search_in_processes_shares_the_folder(biased, tmp_path, trainings):
    search(tmp_path, n_jobs=2).fit(*biased)
    assert len(entries(tmp_path)) == 3
    # The worker processes stored what this process would train: nothing is left.
    search(tmp_path, n_jobs=1).fit(*biased)
    assert trainings == []


def test_a_cached_fit_equals_a_trained_one(biased, tmp_path, trainings):
    fresh = FairGANSampler(sensitive="group", **TINY_GAN).fit(*biased)
    stored = FairGANSampler(sensitive="group", memory=tmp_path, **TINY_GAN)
    stored.fit(*biased)
    memory = joblib.Memory(tmp_path, verbose=0)
    loaded = FairGANSampler(sensitive="group", memory=memory, **TINY_GAN)
    loaded.fit(*biased)
    assert len(trainings) == 2
    expected = fresh.sample(50)[0]
    pd.testing.assert_frame_equal(stored.sample(50)[0], expected)
    pd.testing.assert_frame_equal(loaded.sample(50)[0], expected)


def test_cache_never_serves_other_data_or_training(biased, tmp_path, trainings):
    X, y = biased
    params = {"sensitive": "group", "memory": tmp_path, **TINY_GAN}
    FairGANSampler(**params).fit(X, y)
    changed_row = X.copy()
    changed_row.loc[0, "num_0"] += 1.0
    FairGANSampler(**params).fit(changed_row, y)
    FairGANSampler(**params).fit(X, y.where(y.index != 0, 1 - y[0]))
    FairGANSampler(**params).fit(X, y, sample_weight=np.arange(1.0, len(X) + 1))
    FairGANSampler(**{**params, "d_model": 16}).fit(X, y)
    FairGANSampler(**{**params, "random_state": 1}).fit(X, y)
    FairGANSampler(**{**params, "keep_real": False}).fit(X, y)
    assert len(trainings) == 7
    # Only the parameters that choose rows, and the cache itself, are left out.
    FairGANSampler(**{**params, "parity_strength": 2.0, "verbose": 0}).fit(X, y)
    FairGANSampler(**{**params, "memory": str(tmp_path)}).fit(X, y)
    assert len(trainings) == 7 and len(entries(tmp_path)) == 7


def test_bad_memory_is_refused(biased, tmp_path):
    with pytest.raises(ValueError, match="'memory' parameter .* must be None"):
        FairGANSampler(sensitive="group", memory=3, **TINY_GAN).fit(*biased)
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    sampler = FairGANSampler(sensitive="group", memory=not_a_folder, **TINY_GAN)
    with pytest.raises(ValueError, match="cannot write the cache folder"):
        sampler.fit(*biased)


# ------------------------------------------------------------------ interrupts
class InterruptOnSecondBatch(Callback):
    def on_batch_end(self, net, training=False, **kwargs):
        self.batches = getattr(self, "batches", 0) + 1
        if self.batches == 2:
            raise KeyboardInterrupt


@pytest.fixture
def interrupt_next_training(monkeypatch):
    """Arm: the next network training raises KeyboardInterrupt mid-epoch."""

    def arm():
        build_net = _training.build_net

        def with_interrupt(*args, **kwargs):
            net = build_net(*args, **kwargs)
            return net.set_params(callbacks=[("interrupt", InterruptOnSecondBatch())])

        monkeypatch.setattr(_training, "build_net", with_interrupt)

    return arm


@pytest.mark.parametrize("method", ["fit", "fit_resample"])
def test_interrupt_propagates_and_leaves_nothing(
    biased, tmp_path, interrupt_next_training, method
):
    sampler = FairGANSampler(sensitive="group", memory=tmp_path, **TINY_GAN)
    refit = copy.deepcopy(sampler.fit(*biased)).set_params(epochs=2)
    interrupt_next_training()
    with pytest.raises(KeyboardInterrupt):
        getattr(refit, method)(*biased)
    # A refit cut short keeps neither the old fit nor half of the new one.
    with pytest.raises(NotFittedError):
        check_is_fitted(refit, "net_")
    assert not hasattr(refit, "cell_counts_") and not hasattr(refit, "tokenizer_")
    assert refit.get_params() == sampler.set_params(epochs=2).get_params()
    assert len(entries(tmp_path)) == 1
    assert not list(tmp_path.glob("fairsynth_networks/*.part"))


# ------------------------------------------------------------------ resample
def test_resample_leaves_the_fitted_state(biased):
    X, y = biased
    sampler = FairGANSampler(sensitive="group", **TINY_GAN).fit(X, y)
    twin = FairGANSampler(sensitive="group", **TINY_GAN).fit(X, y)
    counts, targets = sampler.cell_counts_.copy(), dict(sampler.sampling_strategy_)
    subset = X.index < 150
    sampler.set_params(parity_strength=2.0).resample(X[subset], y[subset])
    pd.testing.assert_frame_equal(sampler.cell_counts_, counts)
    assert sampler.sampling_strategy_ == targets
    assert sampler.resample_cell_counts_["n_real"].sum() == subset.sum()
    # sample() still follows fit's cells.
    drawn, labels = sampler.sample(400)
    expected, expected_labels = twin.sample(400)
    pd.testing.assert_series_equal(
        pd.crosstab(drawn["group"], labels).stack(),
        pd.crosstab(expected["group"], expected_labels).stack(),
    )


# ------------------------------------------------------------------ weights
def test_batches_draw_rows_in_proportion_to_their_weights():
    group = torch.tensor([0] * 6 + [1] * 6)
    label = torch.tensor([0, 0, 0, 1, 1, 1] * 2)
    weight = torch.tensor([0.0, 1.0, 2.0, 1.0, 1.0, 1.0] * 2)
    weights = cell_weights(group, label, weight)
    assert weights[0] == 0 and weights[2] == pytest.approx(2 * weights[1])
    # Each cell still gets its share: the weights within a cell sum to the same.
    cells = group * 2 + label
    totals = torch.bincount(cells, weights)
    assert torch.allclose(totals, totals[0].expand(4))


def test_sample_weight_is_routed_in_a_pipeline(biased, trainings):
    X, y = biased
    weights = np.linspace(0.5, 2.0, len(X))
    with sklearn.config_context(enable_metadata_routing=True):
        sampler = FairGANSampler(sensitive="group", **TINY_GAN)
        pipeline = Pipeline(
            [
                ("resample", sampler.set_fit_resample_request(sample_weight=True)),
                ("model", DummyClassifier().set_fit_request(sample_weight=False)),
            ]
        )
        pipeline.fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(trainings[-1], weights)


def test_bad_sample_weights_and_parameters_are_refused(biased):
    X, y = biased
    sampler = FairGANSampler(sensitive="group", **TINY_GAN)
    with pytest.raises(TypeError, match=r"got \['groups'\], which it does not take"):
        sampler.fit_resample(X, y, groups=y)
    with pytest.raises(ValueError, match="one finite number per row"):
        sampler.fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="must not be negative"):
        sampler.fit(X, y, sample_weight=-np.ones(len(X)))
    in_one_cell = (X["group"] == X["group"].iloc[0]) & (y == y.iloc[0])
    with pytest.raises(ValueError, match="zero on every row of the cell"):
        sampler.fit(X, y, sample_weight=np.where(in_one_cell, 0.0, 1.0))
