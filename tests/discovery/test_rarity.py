import pickle
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from fairsynth.discovery import LatentRarity
from fairsynth.discovery._histogram import LatentHistograms, rarity_scores
from fairsynth.discovery._validation import (
    BAD_SHARE,
    NEEDS_FIT_LABELS,
    NEEDS_LABELS,
    SMALL_CLASS,
    TOO_FEW_ROWS,
    UNSEEN_CLASSES,
)

TINY_VAE = {"epochs": 2, "hidden": 8, "batch_size": 64, "random_state": 0}


@pytest.fixture(scope="module")
def fitted(table):
    X, _ = table
    return LatentRarity(**TINY_VAE).fit(X)


@pytest.fixture(scope="module")
def fitted_by_class(table):
    X, y = table
    return LatentRarity(**TINY_VAE, within_class=True).fit(X, y)


def test_imports_without_torch():
    code = "import sys, fairsynth.discovery; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_top_bin_holds_the_maximum():
    means = np.arange(10, dtype=float)[:, None]
    histograms = LatentHistograms(means, n_bins=5)
    # Two rows a bin: the maximum, 9, is in the top bin with 8, not past it.
    assert histograms.mass[:, 0].tolist() == [0.2] * 5
    density = histograms.density(np.array([[0.0], [9.0], [8.5], [9.5], [-1.0]]))
    assert density[:, 0].tolist() == [0.2, 0.2, 0.2, 0.0, 0.0]


def test_scores_by_hand():
    density = np.array([[0.5, 0.1], [0.0, 0.25]])
    product = rarity_scores(density, alpha=0.5, aggregate="product")
    largest = rarity_scores(density, alpha=0.5, aggregate="max")
    np.testing.assert_allclose(product, [-np.log(1.0 * 0.6), -np.log(0.5 * 0.75)])
    np.testing.assert_allclose(largest, [-np.log(0.6), -np.log(0.5)])


def test_scores_and_minority(table, fitted):
    X, _ = table
    scores = fitted.score_samples(X)
    assert scores.shape == (300,) and np.isfinite(scores).all()
    mask = fitted.minority(X, share=0.1)
    assert mask.dtype == bool and mask.sum() == 30
    # The marked rows are the highest scores.
    assert scores[mask].min() >= scores[~mask].max()
    assert fitted.minority(X.head(20), share=0.01).sum() == 1


def test_fitted_attributes(table, fitted):
    X, _ = table
    assert fitted.n_features_in_ == X.shape[1]
    assert list(fitted.feature_names_in_) == list(X.columns)
    assert fitted.classes_ is None and len(fitted.histograms_) == 1
    n_axes = fitted.latent_axes_.shape[1]
    assert fitted.latent_axes_.shape[0] == 4 and 1 <= n_axes <= 4
    assert fitted.latent_means(X).shape == (300, 4)


def test_max_aggregate_is_the_largest_term(table, fitted):
    X, _ = table
    largest = clone(fitted).set_params(aggregate="max").fit(X).score_samples(X)
    total = fitted.score_samples(X)
    # Every surprise term is positive (densities and alpha are below one half).
    assert (largest <= total + 1e-9).all()


def test_within_class(table, fitted_by_class):
    X, y = table
    assert fitted_by_class.classes_.tolist() == [0, 1]
    assert len(fitted_by_class.histograms_) == 2
    assert fitted_by_class.score_samples(X, y).shape == (300,)
    assert fitted_by_class.minority(X, y, share=0.2).sum() == 60
    with pytest.raises(ValueError, match=NEEDS_LABELS.format(estimator="LatentRarity")):
        fitted_by_class.score_samples(X)
    with pytest.raises(ValueError, match=re.escape(UNSEEN_CLASSES.format(values=[2]))):
        fitted_by_class.score_samples(X.head(2), [0, 2])


def test_a_class_of_one_row_is_refused(table):
    X, y = table
    y = y.copy()
    y.iloc[0] = 7
    message = SMALL_CLASS.format(label=7, n=1)
    with pytest.raises(ValueError, match=re.escape(message)):
        LatentRarity(**TINY_VAE, within_class=True).fit(X, y)


def test_within_class_needs_labels_at_fit(table):
    X, y = table
    with pytest.raises(ValueError, match=re.escape(NEEDS_FIT_LABELS)):
        LatentRarity(**TINY_VAE, within_class=True).fit(X)
    # Without within_class, y is ignored, as by scikit-learn's unsupervised models.
    assert LatentRarity(**TINY_VAE).fit(X, y).classes_ is None


def test_params_reach_the_model():
    rarity = LatentRarity(alpha=0.1, n_bins=7, latent_dim=3)
    params = rarity.get_params()
    assert (params["alpha"], params["n_bins"], params["latent_dim"]) == (0.1, 7, 3)
    assert clone(rarity.set_params(aggregate="max")).aggregate == "max"


def test_same_seed_same_scores_other_seed_other(table, fitted):
    X, _ = table
    again = LatentRarity(**TINY_VAE).fit(X).score_samples(X)
    np.testing.assert_array_equal(again, fitted.score_samples(X))
    other = LatentRarity(**{**TINY_VAE, "random_state": 1}).fit(X).score_samples(X)
    assert not np.array_equal(other, again)


def test_leaves_global_random_state_alone(table):
    X, _ = table
    numpy_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state()
    LatentRarity(**TINY_VAE).fit(X.head(100))
    assert np.array_equal(np.random.get_state()[1], numpy_state)
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_pickle_round_trip(table, fitted):
    X, _ = table
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.score_samples(X), fitted.score_samples(X))


def test_debias_trains(table):
    X, _ = table
    rarity = LatentRarity(**TINY_VAE, debias=True).fit(X)
    assert np.isfinite(rarity.score_samples(X)).all()


def test_numpy_input():
    X = np.random.RandomState(0).standard_normal((50, 3))
    rarity = LatentRarity(**TINY_VAE).fit(X)
    assert list(rarity.feature_names_in_) == ["x0", "x1", "x2"]
    assert rarity.score_samples(X).shape == (50,)


def test_decode_gives_rows_of_the_table(table, fitted):
    X, _ = table
    decoded = fitted.decode(fitted.latent_means(X.head(5)))
    assert list(decoded.columns) == list(X.columns)
    assert (decoded.dtypes == X.dtypes).all()
    assert decoded["cat_0"].isin(["a", "b", "c", "d"]).all()


def test_one_row_is_refused(table):
    X, _ = table
    message = TOO_FEW_ROWS.format(estimator="LatentRarity", n=1)
    with pytest.raises(ValueError, match=re.escape(message)):
        LatentRarity(**TINY_VAE).fit(X.head(1))


@pytest.mark.parametrize("share", [0, 1, -0.5, 1.5, True, "0.1"])
def test_share_outside_zero_one_is_refused(table, fitted, share):
    X, _ = table
    with pytest.raises(ValueError, match=re.escape(BAD_SHARE.format(share=share))):
        fitted.minority(X, share=share)


def test_a_column_the_encoder_cannot_take(table):
    X, _ = table
    X = X.head(20).assign(when=pd.date_range("2020-01-01", periods=20))
    with pytest.raises(TypeError, match="Column 'when' has dtype datetime64"):
        LatentRarity(**TINY_VAE).fit(X)


@pytest.mark.parametrize(
    "param", [{"alpha": 0}, {"n_bins": 1}, {"aggregate": "mean"}, {"latent_dim": 0}]
)
def test_bad_parameters(table, param):
    X, _ = table
    with pytest.raises(InvalidParameterError):
        LatentRarity(**TINY_VAE, **param).fit(X)
