import math
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from fairsynth import metrics
from fairsynth.metrics import _counterfactual as cf
from fairsynth.metrics import _validation as v


class ScoreModel:
    """P(y=1) = score + 0.25 * sex; predicts 1 from 0.5 up. Exact in binary floats."""

    def predict_proba(self, X):
        p = (X["score"] + 0.25 * X["sex"]).to_numpy()
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


class LabelModel:
    """Predicts the sex column; has no predict_proba."""

    def predict(self, X):
        return X["sex"].to_numpy()


class ThreeClassModel:
    """Class probabilities that depend on sex only."""

    def predict_proba(self, X):
        table = np.array([[0.5, 0.25, 0.25], [0.25, 0.25, 0.5]])
        return table[X["sex"].to_numpy()]


X = pd.DataFrame(
    {
        "sex": [0, 0, 1, 1],
        "race": ["x", "y", "x", "y"],
        "score": [0.125, 0.375, 0.5, 0.75],
    },
    index=["r0", "r1", "r2", "r3"],
)
# r1 has two twins; its second also changes race and score.
#   twin  source p -> twin p   source pred -> twin pred  flip  |change|
#   r0    0.125  -> 0.375      0 -> 0                    0     0.25
#   r1    0.375  -> 0.625      0 -> 1                    1     0.25
#   r1    0.375  -> 0.75       0 -> 1                    1     0.375
#   r2    0.75   -> 0.5        1 -> 1                    0     0.25
X_TWIN = pd.DataFrame(
    {
        "sex": [1, 1, 1, 0],
        "race": ["x", "y", "x", "x"],
        "score": [0.125, 0.375, 0.5, 0.5],
    },
    index=["r0", "r1", "r1", "r2"],
)


def _raises(template, error=ValueError, **fields):
    return pytest.raises(error, match=re.escape(template.format(**fields)))


def test_flip_rate_and_score_change_with_repeated_twin_index():
    assert metrics.counterfactual_flip_rate(ScoreModel(), X, X_TWIN) == 2 / 4
    # (0.25 + 0.25 + 0.375 + 0.25) / 4
    assert metrics.counterfactual_score_change(ScoreModel(), X, X_TWIN) == 0.28125


def test_twin_columns_are_put_in_source_order():
    shuffled = X_TWIN[["score", "sex", "race"]]
    assert metrics.counterfactual_flip_rate(ScoreModel(), X, shuffled) == 0.5


def test_sklearn_estimator_with_feature_names():
    numeric = X.drop(columns="race")
    model = DummyClassifier(strategy="prior").fit(numeric, [0, 1, 1, 1])
    twins = X_TWIN.drop(columns="race")
    assert metrics.counterfactual_flip_rate(model, numeric, twins) == 0.0
    assert metrics.counterfactual_score_change(model, numeric, twins) == 0.0


def test_multiclass_score_change_is_total_variation():
    # Changing sex moves 0.25 of probability from class 0 to class 2:
    # 0.5 * (0.25 + 0 + 0.25) = 0.25; the second twin keeps sex, so 0.
    twins = X.loc[["r0", "r1"]].assign(sex=[1, 0])
    assert metrics.counterfactual_score_change(ThreeClassModel(), X, twins) == 0.125


def test_score_change_needs_predict_proba():
    with _raises(cf.NO_PROBA, name="LabelModel"):
        metrics.counterfactual_score_change(LabelModel(), X, X_TWIN)


@pytest.mark.parametrize(
    "function",
    [
        metrics.counterfactual_flip_rate,
        metrics.counterfactual_score_change,
        lambda model, X, X_twin: metrics.counterfactual_report(
            model, X, X_twin, sensitive="sex"
        ),
    ],
)
def test_twin_input_errors(function):
    model = ScoreModel()
    with _raises(cf.NOT_A_FRAME, error=TypeError, name="X_twin", kind="ndarray"):
        function(model, X, X_TWIN.to_numpy())
    with _raises(cf.EMPTY_TWINS):
        function(model, X, X_TWIN.iloc[:0])
    with _raises(cf.DUPLICATE_INDEX, labels=["r1"]):
        function(model, X.rename(index={"r2": "r1"}), X_TWIN)
    renamed = X_TWIN.rename(columns={"race": "ethnicity"})
    with _raises(cf.COLUMN_MISMATCH, missing=["race"], extra=["ethnicity"]):
        function(model, X, renamed)
    with _raises(cf.UNKNOWN_SOURCES, labels=["r9"]):
        function(model, X, X_TWIN.rename(index={"r2": "r9"}))


def test_report_by_sex():
    report = metrics.counterfactual_report(ScoreModel(), X, X_TWIN, sensitive="sex")
    assert report.index.names == ["source_group", "twin_group"]
    assert report.index.tolist() == [(0, 1), (1, 0), ("all", "all")]
    assert report.columns.tolist() == ["n_twins", "flip_rate", "score_change"]
    assert report["n_twins"].tolist() == [3, 1, 4]
    # 0 -> 1: twins of r0, r1, r1; 1 -> 0: the twin of r2.
    np.testing.assert_allclose(report["flip_rate"], [2 / 3, 0, 0.5])
    np.testing.assert_allclose(
        report["score_change"], [(0.25 + 0.25 + 0.375) / 3, 0.25, 0.28125]
    )


def test_report_intersectional_groups():
    report = metrics.counterfactual_report(
        ScoreModel(), X, X_TWIN, sensitive=["sex", "race"]
    )
    assert report.index.tolist() == [
        ("0, x", "1, x"),
        ("0, y", "1, x"),
        ("0, y", "1, y"),
        ("1, x", "0, x"),
        ("all", "all"),
    ]
    assert report["n_twins"].tolist() == [1, 1, 1, 1, 4]
    assert report["flip_rate"].tolist() == [0, 1, 1, 0, 0.5]


def test_report_without_predict_proba_has_nan_score_change():
    report = metrics.counterfactual_report(LabelModel(), X, X_TWIN, sensitive="sex")
    # LabelModel predicts sex, and every twin changes sex.
    assert report["flip_rate"].tolist() == [1.0, 1.0, 1.0]
    assert report["score_change"].isna().all()


def test_report_needs_sensitive_columns():
    with _raises(cf.NO_SENSITIVE_COLUMN, column="gender"):
        metrics.counterfactual_report(
            ScoreModel(), X, X_TWIN, sensitive=["sex", "gender"]
        )


# Group a: P(T=1 | a) = 2/3, group b: 1/3; P(a) = P(b) = 1/2, P(T=1) = 1/2.
# y_a = [P(a, 1) = 1/3 > 1/4] = 1, y_b = [1/6 > 1/4] = 0.
BA_TRUE = [1, 1, 0, 1, 0, 0]
BA_GROUPS = ["a", "a", "a", "b", "b", "b"]


@pytest.mark.parametrize(
    ("y_pred", "expected"),
    [
        # P(T^=1 | a) = 1, P(T^=1 | b) = 0: D_a = 1/3, D_b = -1/3;
        # (1 * 1/3 + 1 * -(-1/3)) / (2 * 1) = 1/3.
        ([1, 1, 1, 0, 0, 0], 1 / 3),
        # Predicting the labels themselves changes no rate.
        (BA_TRUE, 0.0),
        # P(T^=1 | a) = 1/3, P(T^=1 | b) = 2/3: D_a = -1/3, D_b = 1/3; -1/3.
        ([1, 0, 0, 1, 1, 0], -1 / 3),
    ],
)
def test_bias_amplification_binary(y_pred, expected):
    value = metrics.directional_bias_amplification(
        BA_TRUE, y_pred, sensitive_features=BA_GROUPS
    )
    assert value == pytest.approx(expected, abs=1e-12)


def test_bias_amplification_follows_pos_label():
    # Labels "no"/"yes": "yes" is the positive class, as in the other metrics.
    text = {0: "no", 1: "yes"}
    y_true = [text[y] for y in BA_TRUE]
    y_pred = [text[y] for y in [1, 1, 1, 0, 0, 0]]
    value = metrics.directional_bias_amplification(
        y_true, y_pred, sensitive_features=BA_GROUPS
    )
    assert value == pytest.approx(1 / 3)
    # T = {"no"}: y_a = 0, D_a = 0 - 1/3; y_b = 1, D_b = 1 - 2/3; (1/3 + 1/3) / 2.
    value = metrics.directional_bias_amplification(
        y_true, y_pred, sensitive_features=BA_GROUPS, pos_label="no"
    )
    assert value == pytest.approx(1 / 3)


# Three classes. P(T=t | a) = (2/3, 1/3, 0), P(T=t | b) = (0, 1/3, 2/3); P(T=t) = 1/3.
# y_at = [P(T=t | a) / 2 > 1/6]: y_a = (1, 0, 0), y_b = (0, 0, 1); the middle class
# is exactly independent of the group, so y = 0 there.
MULTI_TRUE = [0, 0, 1, 1, 2, 2]
# P(T^=t | a) = (1, 0, 0), P(T^=t | b) = (0, 1/3, 2/3):
# D_a = (1/3, -1/3, 0), D_b = (0, 0, 0); terms a: +1/3, +1/3.
MULTI_PRED = [0, 0, 0, 1, 2, 2]


def test_bias_amplification_multiclass():
    # (1/3 + 1/3) / (2 * 3) = 1/9
    value = metrics.directional_bias_amplification(
        MULTI_TRUE, MULTI_PRED, sensitive_features=BA_GROUPS
    )
    assert value == pytest.approx(1 / 9, abs=1e-12)
    # One class versus the rest: (1/3 + 0) / (2 * 1) = 1/6.
    value = metrics.directional_bias_amplification(
        MULTI_TRUE, MULTI_PRED, sensitive_features=BA_GROUPS, pos_label=0
    )
    assert value == pytest.approx(1 / 6, abs=1e-12)


def test_bias_amplification_weights_and_intersections():
    sf = pd.DataFrame({"sex": ["F", "F", "M", "M"] * 2, "race": list("xyxy") * 2})
    y_true = [1, 0, 1, 1, 0, 0, 1, 0]
    y_pred = [1, 1, 0, 1, 0, 0, 1, 1]
    joined = sf["sex"] + ", " + sf["race"]
    kwargs = {"sample_weight": [1, 2, 1, 1, 3, 1, 2, 1]}
    by_frame = metrics.directional_bias_amplification(
        y_true, y_pred, sensitive_features=sf, **kwargs
    )
    by_label = metrics.directional_bias_amplification(
        y_true, y_pred, sensitive_features=joined, **kwargs
    )
    assert by_frame == by_label
    # Doubling a row's weight is the same as repeating it.
    weighted = metrics.directional_bias_amplification(
        BA_TRUE,
        [1, 1, 1, 0, 0, 0],
        sensitive_features=BA_GROUPS,
        sample_weight=[2, 1, 1, 1, 1, 1],
    )
    repeated = metrics.directional_bias_amplification(
        [1] + BA_TRUE, [1, 1, 1, 1, 0, 0, 0], sensitive_features=["a"] + BA_GROUPS
    )
    assert weighted == pytest.approx(repeated)


def test_bias_amplification_errors():
    y_pred = [1, 1, 1, 0, 0, 0]
    with _raises(cf.BAD_DIRECTION, direction="task_to_attribute"):
        metrics.directional_bias_amplification(
            BA_TRUE, y_pred, sensitive_features=BA_GROUPS, direction="task_to_attribute"
        )
    with _raises(v.SINGLE_GROUP, group="a"):
        metrics.directional_bias_amplification(
            BA_TRUE, y_pred, sensitive_features=["a"] * 6
        )
    with _raises(v.NOT_LABELS, name="y_pred"):
        metrics.directional_bias_amplification(
            BA_TRUE, [0.9, 0.8, 0.6, 0.4, 0.2, 0.1], sensitive_features=BA_GROUPS
        )
    with _raises(
        v.LENGTH_MISMATCH, lengths={"y_true": 6, "y_pred": 5, "sensitive_features": 6}
    ):
        metrics.directional_bias_amplification(
            BA_TRUE, y_pred[:5], sensitive_features=BA_GROUPS
        )


# Two bins. Group a: shares (1/2, 1/2); group b: (1/4, 3/4).
# KL(a||b) + KL(b||a) = (1/2 - 1/4) log 2 + (1/2 - 3/4) log(2/3) = log(3) / 4.
KL_SCORES = [0.1, 0.2, 0.7, 0.8, 0.1, 0.6, 0.7, 0.9]
KL_GROUPS = ["a"] * 4 + ["b"] * 4


def test_score_divergence_of_known_histograms():
    value = metrics.score_divergence(KL_SCORES, sensitive_features=KL_GROUPS, bins=2)
    assert value == pytest.approx(math.log(3) / 4, rel=1e-5)
    same = metrics.score_divergence([0.1, 0.9] * 2, sensitive_features=list("aabb"))
    assert same == 0.0


def test_score_divergence_epsilon_keeps_disjoint_histograms_finite():
    # P = (1 + e, e) / (1 + 2e), Q reversed: D = 2 log((1 + e) / e) / (1 + 2e).
    eps = cf.SCORE_EPSILON
    value = metrics.score_divergence([0.0, 1.0], sensitive_features=["a", "b"], bins=2)
    assert value == pytest.approx(2 * math.log((1 + eps) / eps) / (1 + 2 * eps))


def test_score_divergence_takes_the_worst_pair():
    # Group c repeats a's histogram, so the worst pair is still a (or c) with b.
    scores = KL_SCORES + [0.3, 0.4, 0.6, 0.95]
    groups = KL_GROUPS + ["c"] * 4
    value = metrics.score_divergence(scores, sensitive_features=groups, bins=2)
    assert value == pytest.approx(math.log(3) / 4, rel=1e-5)


def test_scores_off_by_rounding_are_clipped():
    # ExponentiatedGradient's probabilities, a weighted sum, can reach 1 + 2e-16.
    groups = ["a", "b"]
    exact = metrics.score_divergence([0.0, 1.0], sensitive_features=groups)
    rounded = metrics.score_divergence([-1e-12, 1 + 2e-16], sensitive_features=groups)
    assert rounded == exact


def test_score_divergence_errors():
    groups = ["a", "b"]
    for scores in ([0.5, 1.5], [-0.1, 0.5], [np.nan, 0.5], [[0.4, 0.6], [0.5, 0.5]]):
        with _raises(cf.BAD_SCORES):
            metrics.score_divergence(scores, sensitive_features=groups)
    with _raises(cf.SCORE_LENGTH_MISMATCH, n_scores=3, n_groups=2):
        metrics.score_divergence([0.1, 0.2, 0.3], sensitive_features=groups)
    for bins in (0, 2.5):
        with _raises(cf.BAD_BINS, bins=bins):
            metrics.score_divergence([0.1, 0.2], sensitive_features=groups, bins=bins)
    with _raises(v.SINGLE_GROUP, group="a"):
        metrics.score_divergence([0.1, 0.2], sensitive_features=["a", "a"])
