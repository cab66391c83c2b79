import re

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from fairsynth.discovery import LatentRarity, RarityWeightedClassifier, rarity_weights
from fairsynth.discovery._rarity import capped_weights
from fairsynth.discovery._weights import BAD_CAP, BAD_POWER, NOT_RARITY

TINY_VAE = {"epochs": 2, "hidden": 8, "batch_size": 64, "random_state": 0}


@pytest.fixture(scope="module")
def numeric_table(table):
    X, y = table
    return X[["num_0", "num_1", "num_2", "count"]].fillna(0.0), y


@pytest.fixture(scope="module")
def fitted(numeric_table):
    X, _ = numeric_table
    return LatentRarity(**TINY_VAE).fit(X)


def test_capped_weights_by_hand():
    scores = np.log([1.0, 1.0, 1.0, 10.0])
    np.testing.assert_allclose(
        capped_weights(scores, None), np.array([1, 1, 1, 10]) / 3.25
    )
    # With the largest capped at 2, the other three share the rest equally.
    np.testing.assert_allclose(capped_weights(scores, 2.0), [2 / 3, 2 / 3, 2 / 3, 2])


def test_weights_are_db_vae_weights(numeric_table, fitted):
    X, _ = numeric_table
    weights = rarity_weights(X, rarity=fitted, cap=None)
    expected = np.exp(fitted.score_samples(X))
    np.testing.assert_allclose(weights, expected / expected.mean())


def test_weights_have_mean_one_and_the_cap(numeric_table, fitted):
    X, _ = numeric_table
    weights = rarity_weights(X, rarity=fitted, cap=3.0)
    assert weights.mean() == pytest.approx(1.0) and weights.max() <= 3.0 + 1e-9
    assert (weights > 0).all()
    np.testing.assert_allclose(rarity_weights(X, rarity=fitted, power=0.0), 1.0)


def test_an_unfitted_rarity_is_fitted_on_a_clone(numeric_table):
    X, y = numeric_table
    rarity = LatentRarity(**TINY_VAE)
    weights = rarity_weights(X, y, rarity=rarity)
    assert weights.shape == (300,) and not hasattr(rarity, "histograms_")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"power": -1.0}, ValueError, BAD_POWER.format(power=-1.0)),
        ({"cap": 0.5}, ValueError, BAD_CAP.format(cap=0.5)),
        ({"rarity": "vae"}, TypeError, NOT_RARITY.format(kind="str")),
    ],
)
def test_bad_arguments(numeric_table, kwargs, error, message):
    X, _ = numeric_table
    with pytest.raises(error, match=re.escape(message)):
        rarity_weights(X, **kwargs)


@pytest.fixture(scope="module")
def weighted(numeric_table):
    X, y = numeric_table
    model = RarityWeightedClassifier(
        estimator=LogisticRegression(),
        rarity=LatentRarity(**TINY_VAE, within_class=True),
        cap=4.0,
    )
    return model.fit(X, y)


def test_classifier_fits_with_the_weights(numeric_table, weighted):
    X, y = numeric_table
    assert weighted.classes_.tolist() == [0, 1]
    assert weighted.sample_weight_.max() <= 4.0 + 1e-9
    assert weighted.rarity_.classes_.tolist() == [0, 1]
    assert weighted.n_features_in_ == 4
    assert list(weighted.feature_names_in_) == list(X.columns)
    assert weighted.predict_proba(X).shape == (300, 2)
    assert weighted.decision_function(X).shape == (300,)
    assert 0.0 <= weighted.score(X, y) <= 1.0


def test_classifier_in_a_search(numeric_table):
    X, y = numeric_table
    model = RarityWeightedClassifier(
        estimator=LogisticRegression(), rarity=LatentRarity(**TINY_VAE)
    )
    search = GridSearchCV(model, {"power": [0.0, 1.0]}, cv=2).fit(
        X.head(100), y.head(100)
    )
    assert search.best_params_["power"] in (0.0, 1.0)


def test_classifier_needs_an_estimator(numeric_table):
    X, y = numeric_table
    with pytest.raises(ValueError, match="needs an estimator"):
        RarityWeightedClassifier().fit(X, y)
