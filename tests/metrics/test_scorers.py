import pickle
import re

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline

from fairsynth.metrics import _scorers as s
from fairsynth.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    fairness_refit,
    make_fairness_scorer,
    make_tradeoff_scorer,
)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 300
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    x1 = rng.normal(size=n) + (group == "a")
    x2 = rng.normal(size=n)
    y = (x1 + 0.5 * x2 + rng.normal(scale=0.8, size=n) > 0.5).astype(int)
    X = pd.DataFrame({"x1": x1, "x2": x2, "group": pd.Categorical(group)})
    return X, y


def _model():
    # The model never sees the sensitive column; the scorers read it from X.
    columns = ColumnTransformer(
        [("num", "passthrough", ["x1", "x2"])], remainder="drop"
    )
    return make_pipeline(columns, LogisticRegression())


def test_scorer_value_sign_and_repr(data):
    X, y = data
    model = _model().fit(X, y)
    y_pred = model.predict(X)
    diff = make_fairness_scorer("demographic_parity_difference", sensitive="group")
    ratio = make_fairness_scorer(demographic_parity_ratio, sensitive=["group"])
    expected = demographic_parity_difference(y, y_pred, sensitive_features=X["group"])
    assert diff(model, X, y) == -expected
    assert ratio(model, X, y) == demographic_parity_ratio(
        y, y_pred, sensitive_features=X[["group"]]
    )
    assert (
        repr(diff)
        == "make_fairness_scorer('demographic_parity_difference', sensitive='group')"
    )
    copied = clone(diff, safe=False)
    assert copied(model, X, y) == diff(model, X, y)
    assert pickle.loads(pickle.dumps(diff))(model, X, y) == -expected


def test_scorer_kwargs_numpy_and_errors(data):
    X, y = data
    to_overall = make_fairness_scorer("p_percent_rule", sensitive="group")
    model = _model().fit(X, y)
    assert 0 < to_overall(model, X, y) <= 100
    numeric = X.assign(group=X["group"].cat.codes).to_numpy()
    array_model = make_pipeline(
        ColumnTransformer([("num", "passthrough", [0, 1])]), LogisticRegression()
    ).fit(numeric, y)
    scorer = make_fairness_scorer(
        "equalized_odds_difference", sensitive=2, method="to_overall"
    )
    assert "method='to_overall'" in repr(scorer)
    assert -1 <= scorer(array_model, numeric, y) <= 0
    with pytest.raises(ValueError, match="Unknown fairness metric"):
        make_fairness_scorer("accuracy", sensitive="group")
    missing = make_fairness_scorer("demographic_parity_ratio", sensitive="sex")
    with pytest.raises(ValueError, match="X has no column 'sex'"):
        missing(model, X, y)


def test_tradeoff_scorer(data):
    X, y = data
    model = _model().fit(X, y)
    y_pred = model.predict(X)
    accuracy = np.mean(y_pred == y)
    ratio = demographic_parity_ratio(y, y_pred, sensitive_features=X["group"])
    scorer = make_tradeoff_scorer(
        fairness="demographic_parity_ratio", sensitive="group", weight=2.0
    )
    assert scorer(model, X, y) == pytest.approx(accuracy - 2.0 * (1 - ratio))
    diff = demographic_parity_difference(y, y_pred, sensitive_features=X["group"])
    default = make_tradeoff_scorer(sensitive="group")
    assert default(model, X, y) == pytest.approx(accuracy - diff)
    assert "make_tradeoff_scorer(utility=make_scorer(accuracy_score" in repr(default)


def test_grid_search_with_fairness_refit(data):
    X, y = data
    scoring = {
        "accuracy": "accuracy",
        "demographic_parity_difference": make_fairness_scorer(
            "demographic_parity_difference", sensitive="group"
        ),
        "tradeoff": make_tradeoff_scorer(sensitive="group", weight=0.5),
    }
    refit = fairness_refit(bound=0.2)
    search = GridSearchCV(
        _model(),
        {"logisticregression__C": [0.001, 0.01, 1.0]},
        scoring=scoring,
        refit=refit,
        cv=3,
    )
    search.fit(X, y)
    results = search.cv_results_
    unfairness = -results["mean_test_demographic_parity_difference"]
    within = unfairness <= 0.2
    accuracy = np.where(within, results["mean_test_accuracy"], -np.inf)
    assert search.best_index_ == (
        np.argmax(accuracy) if within.any() else np.argmin(unfairness)
    )
    assert np.all(np.isfinite(results["mean_test_tradeoff"]))
    assert search.predict(X).shape == y.shape


def test_cross_validate(data):
    X, y = data
    scorer = make_fairness_scorer("equal_opportunity_ratio", sensitive="group")
    scores = cross_validate(
        _model(), X, y, cv=3, scoring={"eo": scorer, "acc": "accuracy"}
    )
    assert scores["test_eo"].shape == (3,)
    assert np.all((scores["test_eo"] >= 0) & (scores["test_eo"] <= 1))


def test_tuple_of_sensitive_columns_scores_like_a_list(data):
    X, y = data
    sex = np.random.default_rng(2).choice(["f", "m"], len(X))
    X = X.assign(sex=sex)
    model = _model().fit(X, y)
    expected = demographic_parity_difference(
        y, model.predict(X), sensitive_features=X[["group", "sex"]]
    )
    as_tuple, as_list = (
        make_fairness_scorer("demographic_parity_difference", sensitive=sensitive)
        for sensitive in (("group", "sex"), ["group", "sex"])
    )
    assert as_tuple(model, X, y) == as_list(model, X, y) == -expected
    tuple_scores, list_scores = (
        cross_validate(_model(), X, y, cv=3, scoring=scorer)["test_score"]
        for scorer in (as_tuple, as_list)
    )
    np.testing.assert_array_equal(tuple_scores, list_scores)
    numeric = X.assign(group=X["group"].cat.codes, sex=sex == "f").to_numpy()
    array_model = make_pipeline(
        ColumnTransformer([("num", "passthrough", [0, 1])]), LogisticRegression()
    ).fit(numeric, y)
    by_tuple, by_list = (
        make_tradeoff_scorer(sensitive=sensitive) for sensitive in ((2, 3), [2, 3])
    )
    assert by_tuple(array_model, numeric, y) == by_list(array_model, numeric, y)


def test_routed_sensitive_features_replace_the_column(data):
    X, y = data
    shuffled = np.random.default_rng(1).permutation(X["group"].to_numpy())
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_fairness_scorer(
            "demographic_parity_difference", sensitive="absent"
        ).set_score_request(sensitive_features=True)
        model = _model().fit(X, y)
        expected = demographic_parity_difference(
            y, model.predict(X), sensitive_features=shuffled
        )
        assert scorer(model, X, y, sensitive_features=shuffled) == -expected
        search = GridSearchCV(
            _model(),
            {"logisticregression__C": [0.1, 1.0]},
            scoring={"dp": scorer},
            refit="dp",
        )
        search.fit(X, y, sensitive_features=shuffled)
    assert np.all(np.isfinite(search.cv_results_["mean_test_dp"]))


def test_fairness_refit_rules():
    results = {
        "mean_test_accuracy": np.array([0.9, 0.8, 0.7]),
        "mean_test_demographic_parity_difference": np.array([-0.3, -0.04, -0.01]),
        "mean_test_ratio": np.array([0.5, 0.7, 0.9]),
    }
    assert fairness_refit(bound=0.05)(results) == 1
    assert (
        fairness_refit(fairness="ratio", metric="demographic_parity_ratio", bound=0.2)(
            results
        )
        == 2
    )
    message = s.NONE_WITHIN_BOUND.format(
        fairness="demographic_parity_difference", bound=0.001, best=0.01
    )
    with pytest.warns(UserWarning, match=re.escape(message)):
        assert fairness_refit(bound=0.001)(results) == 2
    with pytest.raises(ValueError, match="cv_results_ has no 'mean_test_f1'"):
        fairness_refit(utility="f1")(results)
    assert "bound=0.05" in repr(fairness_refit())
