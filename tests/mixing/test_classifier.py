"""Behaviour of DrFairnessClassifier on small biased tables."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from _helpers import TINY_GAN
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from torch import nn

from fairsynth import DrFairnessClassifier, FairGANSampler
from fairsynth.datasets import make_biased_classification
from fairsynth.metrics import make_fairness_scorer
from fairsynth.mixing import MixingNet, MixingRatios, _data, _generated

TINY = {
    "hidden_layer_sizes": (8,),
    "max_epochs": 2,
    "batch_size": 32,
    "device": "cpu",
    "random_state": 0,
}


def tiny(**params):
    """A classifier whose network trains in a fraction of a second."""
    return DrFairnessClassifier(**{**TINY, "sensitive": "group", **params})


def split(X, y, n):
    """The first ``n`` rows as real data, the others as a perfect generator's."""
    head = (X.iloc[:n].reset_index(drop=True), y.iloc[:n].reset_index(drop=True))
    tail = (X.iloc[n:].reset_index(drop=True), y.iloc[n:].reset_index(drop=True))
    return head, tail


@pytest.fixture(scope="module")
def data():
    X, y = make_biased_classification(500, bias=0.4, random_state=0)
    return split(X, y, 300)


@pytest.fixture(scope="module")
def fitted(data):
    (X, y), generated = data
    return tiny(generator=generated, max_epochs=3).fit(X, y)


def test_fitted_attributes(fitted, data):
    (X, y), (X_gen, y_gen) = data
    assert fitted.classes_.tolist() == [0, 1]
    assert fitted.groups_ == ["g0", "g1"]
    assert fitted.n_features_in_ == X.shape[1]
    assert fitted.lambda_.shape == fitted.mu_.shape == (2, 2)
    np.testing.assert_allclose(fitted.lambda_.sum(axis=0), 1.0)
    # Real and generated rows per cell, training and validation rows together.
    counts = fitted.cell_counts_.set_index(["group", "class"])
    real = pd.crosstab(X["group"], y).stack()
    generated = pd.crosstab(X_gen["group"], y_gen).stack()
    assert counts["n_real"].tolist() == real.reindex(counts.index).tolist()
    assert counts["n_generated"].tolist() == generated.reindex(counts.index).tolist()


def test_ratio_history(fitted):
    history = fitted.ratio_history_
    # Epoch 0 (before training) and three epochs, four cells each.
    assert len(history) == 4 * 4
    assert history["epoch"].tolist() == [e for e in range(4) for _ in range(4)]
    start = history[history["epoch"] == 0]
    assert (start["mu"] == 0.5).all()
    last = history[history["epoch"] == 3].set_index(["group", "class"])
    np.testing.assert_allclose(last["mu"].unstack(), fitted.mu_)
    assert len(fitted.history_[:, "mu"]) == 3
    assert {"train_loss", "fair_gap", "lambda", "mu"} <= set(fitted.history_[-1])


def test_predict(fitted, data):
    (X, _), _ = data
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(fitted.predict(X), (proba[:, 1] > 0.5).astype(int))


def test_sensitive_column_is_not_a_feature(fitted, data):
    (X, _), _ = data
    flipped = X.assign(group=X["group"].map({"g0": "g1", "g1": "g0"}))
    np.testing.assert_array_equal(
        fitted.predict_proba(flipped), fitted.predict_proba(X)
    )


def test_modes(data, fitted):
    (X, y), generated = data
    fairbatch = tiny(mode="fairbatch", generator=generated).fit(X, y)
    assert (fairbatch.mu_ == 1.0).all().all()
    assert fairbatch.cell_counts_["n_generated"].sum() == 0
    start = fitted.ratio_history_.iloc[:4].pivot(index="group", columns="class")
    assert not np.allclose(fairbatch.lambda_, start["lambda"])
    fixed = tiny(mode="fixed", generator=generated, lambda_init="parity").fit(X, y)
    history = fixed.ratio_history_
    # Never updated: every epoch has the initial ratios, parity's lambda.
    for column in ("lambda", "mu"):
        assert history.groupby(["group", "class"])[column].nunique().eq(1).all()
    group_share = X["group"].value_counts(normalize=True).sort_index()
    np.testing.assert_allclose(fixed.lambda_[0], group_share)
    assert "fair_gap" not in fixed.history_[-1]


def test_fairbatch_moves_lambda_once_per_epoch(data):
    # FairBatch's schedule: one step of fairbatch_alpha on one label per epoch,
    # before the epoch's batches, however many batches the epoch has.
    (X, y), _ = data
    clf = tiny(mode="fairbatch", fairbatch_alpha=0.01, max_epochs=4).fit(X, y)
    history = clf.ratio_history_.pivot_table(
        index="epoch", columns=["class", "group"], values="lambda"
    )
    moves = history.diff().abs().iloc[1:]
    assert clf.history_[-1, "train_batch_count"] > 1
    for _, move in moves.iterrows():
        per_label = move.groupby(level="class").sum()
        np.testing.assert_allclose(sorted(per_label), [0.0, 0.02], atol=1e-9)
    assert np.isfinite(clf.history_[:, "fair_gap"]).all()


@pytest.mark.parametrize(
    "fairness", ["equalized_odds", "equal_opportunity", "demographic_parity"]
)
@pytest.mark.parametrize("mode", ["drfairness", "fairbatch"])
def test_fairness_variants(data, fairness, mode):
    (X, y), generated = data
    clf = tiny(fairness=fairness, mode=mode, generator=generated, max_epochs=1)
    clf.fit(X, y)
    assert np.isfinite(clf.history_[-1, "fair_gap"])


def test_corrupted_cell_relies_on_real_rows():
    # The paper's claim: the generated rows of (g1, 1) have their columns
    # shuffled across all generated rows, so that cell's mu rises toward its
    # real rows, above every clean cell's. The label does not depend on the
    # group here, so the outer objective is led by the loss term.
    X, y = make_biased_classification(800, bias=0.0, n_proxies=0, random_state=0)
    (X, y), (X_gen, y_gen) = split(X, y, 400)
    rng = np.random.RandomState(0)
    rows = np.flatnonzero((X_gen["group"] == "g1").to_numpy() & (y_gen == 1).to_numpy())
    for column in X_gen.columns.drop("group"):
        X_gen.loc[rows, column] = X_gen[column].to_numpy()[rng.choice(400, len(rows))]
    clf = tiny(generator=(X_gen, y_gen), max_epochs=40, dropout=0.0).fit(X, y)
    mu = clf.mu_
    assert mu.loc["g1", 1] > 0.7
    assert mu.loc["g1", 1] > mu.drop(index="g1")[1].max()
    assert mu.loc["g1", 1] > mu[0].max()


@pytest.mark.parametrize("sample", ["batch", "all"])
def test_all_rows_hypergradient_draws_nothing(data, monkeypatch, sample):
    # With hypergradient_sample="all" an update measures every validation and
    # training row, so two updates from the same state see the same
    # alignments; a batch update draws new rows each time.
    seen = []
    monkeypatch.setattr(
        MixingRatios, "hypergradient_step", lambda self, a: seen.append(a.copy())
    )
    update = MixingNet._hypergradient_update
    monkeypatch.setattr(
        MixingNet, "_hypergradient_update", lambda net: (update(net), update(net))
    )
    (X, y), generated = data
    tiny(generator=generated, hypergradient_sample=sample, max_epochs=1).fit(X, y)
    same = [np.array_equal(a, b) for a, b in zip(seen[::2], seen[1::2], strict=True)]
    assert len(same) > 1
    assert all(same) if sample == "all" else not any(same)


def test_fair_gan_sampler_as_generator(data):
    (X, y), _ = data
    sampler = FairGANSampler(**TINY_GAN)
    clf = tiny(generator=sampler, n_generated=40, max_epochs=1).fit(X, y)
    assert clf.cell_counts_["n_generated"].tolist() == [40] * 4
    assert not hasattr(sampler, "net_")  # a clone is fitted
    fitted_sampler = FairGANSampler(sensitive="group", **TINY_GAN).fit(X, y)
    clf = tiny(generator=fitted_sampler, max_epochs=1).fit(X, y)
    # "auto": as many generated rows as real ones, at least 50 per cell.
    real = clf.cell_counts_["n_real"]
    assert clf.cell_counts_["n_generated"].tolist() == np.maximum(real, 50).tolist()
    other = FairGANSampler(sensitive="cat_0", **TINY_GAN)
    with pytest.raises(ValueError, match="sensitive columns \\['cat_0'\\]"):
        tiny(generator=other).fit(X, y)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "uncovered",
            "do not cover the real cells: no generated row for \\[\\('g1', 1\\)",
        ),
        ("batch", "batch_size=4 is too small to hold one row of each cell"),
        ("single_group", "single group \\('g0'\\); DrFairnessClassifier needs"),
        ("continuous", "Unknown label type: continuous"),
        ("no_generator", "mode='drfairness' mixes generated rows"),
        ("no_sensitive", "needs a sensitive column"),
        ("tiny_cell", "cell \\('g1', 1\\) has 1 real row"),
        ("columns", "the generated rows have columns"),
        ("unknown", "groups or labels that the real data lacks"),
        ("three_classes", "Only binary classification"),
    ],
)
def test_bad_input(data, case, message):
    (X, y), (X_gen, y_gen) = data
    params, generator = {}, (X_gen, y_gen)
    if case == "uncovered":
        keep = ~((X_gen["group"] == "g1") & (y_gen == 1))
        generator = (X_gen[keep], y_gen[keep])
    elif case == "batch":
        params["batch_size"] = 4
    elif case == "single_group":
        X = X.assign(group="g0")
    elif case == "continuous":
        y = y + np.linspace(0, 0.5, len(y))
    elif case == "no_generator":
        generator = None
    elif case == "no_sensitive":
        params["sensitive"] = None
    elif case == "tiny_cell":
        first = np.flatnonzero((X["group"] == "g1") & (y == 1))[0]
        keep = ~((X["group"] == "g1") & (y == 1)) | (X.index == first)
        X, y = X[keep], y[keep]
    elif case == "columns":
        generator = (X_gen.drop(columns="num_0"), y_gen)
    elif case == "unknown":
        generator = (
            X_gen.assign(group=X_gen["group"].cat.rename_categories(["g0", "g9"])),
            y_gen,
        )
    elif case == "three_classes":
        y = pd.Series(np.arange(len(y)) % 3)
    with pytest.raises(ValueError, match=message):
        tiny(generator=generator, **params).fit(X, y)


def test_custom_module_and_preprocessor(data):
    (X, y), generated = data

    def module(n_features):
        return nn.Sequential(nn.Linear(n_features, 4), nn.Tanh(), nn.Linear(4, 1))

    numeric = X.drop(columns=["cat_0", "cat_1"])
    X_gen, y_gen = generated
    clf = tiny(
        generator=(X_gen[numeric.columns], y_gen),
        module=module,
        preprocessor=make_pipeline(FunctionTransformer(), StandardScaler()),
    ).fit(numeric, y)
    assert isinstance(clf.net_.module_, nn.Sequential)
    assert clf.predict(numeric).shape == (len(X),)
    with pytest.raises(ValueError, match="last torch.nn.Linear layer has 2 outputs"):
        tiny(generator=generated, module=lambda n: nn.Linear(n, 2)).fit(X, y)


def test_numpy_input(data):
    (X, y), (X_gen, y_gen) = data
    columns = X.columns.drop(["cat_0", "cat_1"])
    X_np = X[columns].assign(group=X["group"].cat.codes).to_numpy(dtype=float)
    X_gen_np = X_gen[columns].assign(group=X_gen["group"].cat.codes).to_numpy(float)
    clf = tiny(sensitive=0, generator=(X_gen_np, y_gen.to_numpy())).fit(X_np, y)
    assert clf.groups_ == [0.0, 1.0]
    assert clf.predict(X_np).shape == (len(X),)


def test_clone_and_pickle(fitted, data):
    (X, _), _ = data
    copy = clone(fitted)
    assert not hasattr(copy, "net_")
    assert copy.get_params()["max_epochs"] == 3
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    pd.testing.assert_frame_equal(restored.mu_, fitted.mu_)


def test_reproducible_and_leaves_global_rng_alone(fitted, data):
    (X, y), generated = data
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    again = tiny(generator=generated, max_epochs=3).fit(X, y)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.random.get_state()[1].tolist() == numpy_state[1].tolist()
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))
    pd.testing.assert_frame_equal(again.mu_, fitted.mu_)
    other = tiny(generator=generated, max_epochs=3, random_state=1).fit(X, y)
    assert not np.allclose(other.predict_proba(X), fitted.predict_proba(X))


def test_grid_search_with_a_fairness_scorer(data):
    (X, y), generated = data
    X, y = X.iloc[:120], y.iloc[:120]
    search = GridSearchCV(
        tiny(generator=generated, max_epochs=1),
        {"mode": ["fixed", "drfairness"]},
        scoring={
            "accuracy": "accuracy",
            "eo": make_fairness_scorer("equalized_odds_difference", sensitive="group"),
        },
        refit="eo",
        cv=2,
    ).fit(X, y)
    assert search.cv_results_["mean_test_eo"].shape == (2,)
    assert search.best_params_["mode"] in {"fixed", "drfairness"}


def test_pipeline(data):
    (X, y), generated = data
    pipe = make_pipeline(FunctionTransformer(), tiny(generator=generated)).fit(X, y)
    assert pipe.predict(X).shape == (len(X),)


def test_verbose_shows_progress(data, capsys):
    (X, y), generated = data
    tiny(generator=generated, max_epochs=1, verbose=1).fit(X, y)
    out = capsys.readouterr()
    assert "train_loss" in out.out and "fair_gap" in out.out


def test_error_messages_are_constants():
    # Tests and users match on these; keep their key phrases.
    assert "batch_size >=" in _data.BATCH_TOO_SMALL
    assert "mode='fairbatch'" in _generated.UNCOVERED
    assert "Unknown label type" in _data.CONTINUOUS


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fit_and_pickle(data):
    (X, y), generated = data
    clf = tiny(generator=generated, device="cuda").fit(X, y)
    assert next(clf.net_.module_.parameters()).is_cuda
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(
        restored.predict_proba(X), clf.predict_proba(X), rtol=1e-5
    )


def test_a_failed_fit_leaves_it_unfitted(data):
    from sklearn.exceptions import NotFittedError

    (X, y), generated = data
    clf = tiny(generator=generated, batch_size=4)
    with pytest.raises(ValueError, match="too small"):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict(X)
