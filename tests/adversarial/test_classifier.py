"""Behaviour of AdversarialFairClassifier on small biased tables."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from fairsynth.adversarial import AdversarialFairClassifier, _input
from fairsynth.datasets import make_biased_classification
from fairsynth.metrics import make_fairness_scorer

TINY = {
    "hidden_layer_sizes": (8,),
    "adversary_layer_sizes": (8,),
    "pretrain_epochs": 2,
    "adversary_pretrain_epochs": 2,
    "n_iterations": 5,
    "batch_size": 64,
    "lambdas": 5.0,
    "device": "cpu",  # the gpu-marked test below runs on CUDA
}


def tiny(**params):
    """A classifier whose networks train in a fraction of a second."""
    return AdversarialFairClassifier(**{**TINY, "random_state": 0, **params})


@pytest.fixture(scope="module")
def biased():
    return make_biased_classification(300, n_groups=3, bias=0.6, random_state=0)


@pytest.fixture(scope="module")
def fitted(biased):
    X, y = biased
    return tiny(sensitive="group").fit(X, y)


def test_fitted_attributes(fitted, biased):
    X, y = biased
    assert list(fitted.classes_) == [0, 1]
    assert list(fitted.groups_["group"]) == ["g0", "g1", "g2"]
    assert fitted.lambdas_ == {"group": 5.0}
    assert fitted.n_features_in_ == X.shape[1]
    # 2 predictor epochs, 2 adversary epochs, 5 alternations.
    phases = fitted.history_[:, "phase"]
    assert (
        phases
        == ["classifier_pretrain"] * 2 + ["adversary_pretrain"] * 2 + ["alternate"] * 5
    )
    last = fitted.history_[-1]
    assert {"adversary_loss", "classifier_loss", "fair_loss"} <= set(last)
    # Kept on the device while training, the losses are plain floats afterwards.
    losses = [row[key] for row in fitted.history_ for key in row if "loss" in key]
    assert losses and all(type(loss) is float for loss in losses)
    assert fitted.net_.adversary_.heads[0].out_features == 3
    assert set(fitted.adversary_auc_) == set(fitted.p_percent_rule_) == {"group"}
    assert 0.0 <= fitted.adversary_auc_["group"] <= 1.0
    assert 0.0 <= fitted.p_percent_rule_["group"] <= 100.0


def test_predict_shapes(fitted, biased):
    X, _ = biased
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    decision = fitted.decision_function(X)
    assert decision.shape == (len(X),)
    np.testing.assert_array_equal(fitted.predict(X), (decision > 0).astype(int))


def test_sensitive_column_is_not_a_feature(fitted, biased):
    X, _ = biased
    assert "group" not in fitted.encoder_.feature_names_in_
    shuffled = X.assign(group=X["group"].sample(frac=1, random_state=1).to_numpy())
    np.testing.assert_array_equal(
        fitted.decision_function(X), fitted.decision_function(shuffled)
    )


def test_two_attributes_with_lambdas_per_column():
    X, y = make_biased_classification(200, n_groups=[2, 3], random_state=0)
    clf = tiny(sensitive=["group_0", "group_1"], lambdas=[1.0, 2.0]).fit(X, y)
    assert clf.lambdas_ == {"group_0": 1.0, "group_1": 2.0}
    assert [head.out_features for head in clf.net_.adversary_.heads] == [2, 3]
    assert set(clf.adversary_auc_) == {"group_0", "group_1"}
    clf.set_params(lambdas={"group_1": 3.0, "group_0": 0.0}).fit(X, y)
    assert clf.lambdas_ == {"group_0": 0.0, "group_1": 3.0}


def test_group_weights_of_the_adversary_loss(fitted, biased):
    X, y = biased
    loss = fitted.net_.criterion_adversary_
    np.testing.assert_array_equal(loss.weights_0.numpy(), [1.0, 1.0, 1.0])
    balanced = tiny(sensitive="group", group_weight="balanced").fit(X, y)
    counts = X["group"].value_counts().sort_index().to_numpy()
    np.testing.assert_allclose(
        balanced.net_.criterion_adversary_.weights_0.numpy(),
        len(X) / (3 * counts),
        rtol=1e-6,
    )


@pytest.mark.parametrize("params", [{"adversary_steps": None}, {"average_last": 0.0}])
def test_schedule_options(fitted, biased, params):
    # A full adversary epoch per step, or no weight averaging: same phases,
    # another predictor.
    X, y = biased
    clf = tiny(sensitive="group", **params).fit(X, y)
    assert clf.history_[:, "phase"] == fitted.history_[:, "phase"]
    assert not np.allclose(clf.predict_proba(X), fitted.predict_proba(X))


def test_equalized_odds_adversary_sees_the_label(biased):
    X, y = biased
    clf = tiny(sensitive="group", constraint="equalized_odds").fit(X, y)
    assert clf.net_.adversary_.trunk[0].in_features == 2


def test_unconstrained_without_sensitive(biased):
    X, y = biased
    clf = tiny().fit(X, y)
    assert not hasattr(clf.net_, "adversary_")
    assert clf.adversary_auc_ == clf.p_percent_rule_ == {}
    assert "group" in clf.encoder_.feature_names_in_


def test_string_labels(biased):
    X, y = biased
    labels = np.where(y == 1, "yes", "no")
    clf = tiny(sensitive="group").fit(X, labels)
    assert set(clf.predict(X)) <= {"no", "yes"}


@pytest.mark.parametrize(
    ("params", "target", "message"),
    [
        ({"sensitive": "race"}, None, "sensitive column 'race' is not in X"),
        ({"sensitive": "group"}, "one", "only one class"),
        ({"sensitive": "group"}, "three", "Only binary classification"),
        ({"sensitive": "group", "lambdas": [1.0, 2.0]}, None, "lambdas has 2 values"),
        ({"sensitive": "group", "lambdas": {"sex": 1.0}}, None, "do not match"),
    ],
)
def test_bad_input(biased, params, target, message):
    X, y = biased
    y = {"one": np.zeros(len(y)), "three": np.arange(len(y)) % 3, None: y}[target]
    with pytest.raises(ValueError, match=message):
        tiny(**params).fit(X, y)


def test_nan_features_and_groups(biased):
    X, y = biased
    with pytest.raises(ValueError, match=r"NaN.*\['num_0'\].*SimpleImputer"):
        tiny(sensitive="group").fit(X.assign(num_0=np.nan), y)
    groups = X["group"].astype(object).where(X.index > 0)
    with pytest.raises(ValueError, match="NaN .* in the sensitive column 'group'"):
        tiny(sensitive="group").fit(X.assign(group=groups), y)


def test_numpy_input_needs_indices(biased):
    X, y = biased
    numeric = X.drop(columns=["cat_0", "cat_1"]).assign(group=X["group"].cat.codes)
    with pytest.raises(ValueError, match="column indices"):
        tiny(sensitive="group").fit(numeric.to_numpy(), y)
    clf = tiny(sensitive=0).fit(numeric.to_numpy(), y)
    assert clf.encoder_.n_features_in_ == numeric.shape[1] - 1


def test_clone_and_pickle(fitted, biased):
    X, _ = biased
    clone_ = clone(fitted)
    assert clone_.get_params() == fitted.get_params()
    assert not hasattr(clone_, "net_")
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    assert restored.history_[:, "phase"] == fitted.history_[:, "phase"]


def test_reproducible_and_leaves_global_rng_alone(fitted, biased):
    X, y = biased
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    again = tiny(sensitive="group").fit(X, y)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.random.get_state()[1].tolist() == numpy_state[1].tolist()
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))
    other = tiny(sensitive="group", random_state=1).fit(X, y)
    assert not np.allclose(other.predict_proba(X), fitted.predict_proba(X))


def test_set_params_reaches_network_sizes(biased):
    X, y = biased
    clf = tiny(sensitive="group").set_params(
        hidden_layer_sizes=(4, 3), adversary_layer_sizes=()
    )
    clf.fit(X, y)
    assert clf.net_.module_.head.in_features == 3
    assert clf.net_.adversary_.heads[0].in_features == 1


def test_grid_search_over_lambdas_with_fairness_scorer():
    X, y = make_biased_classification(120, bias=0.6, random_state=0)
    scoring = {
        "accuracy": "accuracy",
        "p_percent": make_fairness_scorer("p_percent_rule", sensitive="group"),
    }
    search = GridSearchCV(
        tiny(sensitive="group"),
        {"lambdas": [0.0, 10.0]},
        scoring=scoring,
        refit="p_percent",
        cv=2,
    ).fit(X, y)
    assert search.cv_results_["mean_test_p_percent"].shape == (2,)
    assert search.best_estimator_.lambdas_["group"] in {0.0, 10.0}


def test_pipeline_after_column_transformer(biased):
    X, y = biased
    preprocess = ColumnTransformer(
        [
            ("num", StandardScaler(), ["num_0", "num_1", "num_2", "count"]),
            ("cat", OneHotEncoder(sparse_output=False), ["cat_0", "cat_1"]),
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    pipe = make_pipeline(preprocess, tiny(sensitive="group")).fit(X, y)
    assert pipe.predict(X).shape == (len(X),)
    assert pipe[-1].groups_["group"].tolist() == ["g0", "g1", "g2"]


def test_imblearn_pipeline_after_fair_gan_sampler(biased):
    from imblearn.pipeline import make_pipeline as make_imb_pipeline

    from fairsynth import FairGANSampler

    X, y = biased
    sampler = FairGANSampler(
        sensitive="group",
        epochs=1,
        batch_size=64,
        d_model=8,
        n_heads=2,
        dim_feedforward=16,
        adversary_hidden=8,
        random_state=0,
    )
    pipe = make_imb_pipeline(sampler, tiny(sensitive="group")).fit(X, y)
    assert pipe.predict(X).shape == (len(X),)


def test_device_auto_on_cpu(fitted):
    if torch.cuda.is_available():
        pytest.skip("CUDA is present")
    assert str(fitted.net_.device) == "cpu"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fit_and_pickle(biased):
    X, y = biased
    clf = tiny(sensitive="group", device="cuda").fit(X, y)
    assert next(clf.net_.module_.parameters()).is_cuda
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(
        restored.predict_proba(X), clf.predict_proba(X), rtol=1e-5
    )


def test_error_messages_are_constants():
    # Tests and users match on these; keep their key phrases.
    assert "remainder='passthrough'" in _input.MISSING_SENSITIVE
    assert "SimpleImputer" in _input.HAS_NAN
