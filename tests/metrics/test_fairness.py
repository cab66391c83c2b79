import re
import subprocess
import sys

import fairlearn.metrics as flm
import numpy as np
import pandas as pd
import pytest

from fairsynth import metrics
from fairsynth.metrics import _validation as v

PAIRED = [
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
]


def _random_inputs(kind, seed=0, n=400):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, n)
    y_pred = np.where(rng.random(n) < 0.7, y_true, 1 - y_true)
    if kind == "two":
        sf = pd.Series(rng.choice(["F", "M"], n), name="sex")
    elif kind == "five":
        sf = rng.choice(list("abcde"), n)
    else:
        sf = pd.DataFrame(
            {"sex": rng.choice(["F", "M"], n), "race": rng.integers(0, 3, n)}
        )
    return y_true, y_pred, sf, rng.random(n) * 3


@pytest.mark.parametrize("kind", ["two", "five", "intersectional"])
@pytest.mark.parametrize("method", ["between_groups", "to_overall"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", PAIRED)
def test_matches_fairlearn(name, kind, method, weighted):
    y_true, y_pred, sf, weights = _random_inputs(kind)
    weights = weights if weighted else None
    kwargs = {"sensitive_features": sf, "method": method, "sample_weight": weights}
    ours = getattr(metrics, name)(y_true, y_pred, **kwargs)
    theirs = getattr(flm, name)(y_true, y_pred, **kwargs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("kind", ["two", "five", "intersectional"])
@pytest.mark.parametrize("weighted", [False, True])
def test_p_percent_and_label_risk_match_fairlearn(kind, weighted):
    y_true, y_pred, sf, weights = _random_inputs(kind, seed=1)
    weights = weights if weighted else None
    kwargs = {"sensitive_features": sf, "sample_weight": weights}
    expected = 100 * flm.demographic_parity_ratio(y_true, y_pred, **kwargs)
    np.testing.assert_allclose(
        metrics.p_percent_rule(y_true, y_pred, **kwargs), expected, rtol=1e-12
    )
    for method in ("between_groups", "to_overall"):
        diff = flm.demographic_parity_difference(
            y_true, y_true, method=method, **kwargs
        )
        ratio = flm.demographic_parity_ratio(y_true, y_true, method=method, **kwargs)
        ours_diff = metrics.label_risk_difference(y_true, method=method, **kwargs)
        ours_ratio = metrics.label_risk_ratio(y_true, method=method, **kwargs)
        np.testing.assert_allclose([ours_diff, ours_ratio], [diff, ratio], rtol=1e-12)


# Group a: selection 2/4, TPR 1/2, FPR 1/2, base rate 1/2.
# Group b: selection 3/4, TPR 1/1, FPR 2/3, base rate 1/4.  Overall selection 5/8.
Y_TRUE = [1, 1, 0, 0, 1, 0, 0, 0]
Y_PRED = [1, 0, 1, 0, 1, 1, 1, 0]
GROUPS = ["a"] * 4 + ["b"] * 4


@pytest.mark.parametrize(
    ("name", "method", "expected"),
    [
        ("demographic_parity_difference", "between_groups", 0.25),
        ("demographic_parity_ratio", "between_groups", 2 / 3),
        ("demographic_parity_difference", "to_overall", 0.125),
        ("demographic_parity_ratio", "to_overall", 0.8),
        ("equal_opportunity_difference", "between_groups", 0.5),
        ("equal_opportunity_ratio", "between_groups", 0.5),
        ("equalized_odds_difference", "between_groups", 0.5),
        ("equalized_odds_ratio", "between_groups", 0.5),
    ],
)
def test_hand_worked_values(name, method, expected):
    value = getattr(metrics, name)(
        Y_TRUE, Y_PRED, sensitive_features=GROUPS, method=method
    )
    assert value == pytest.approx(expected, abs=1e-15)


def test_hand_worked_p_percent_label_risk_and_weights():
    assert metrics.p_percent_rule(
        Y_TRUE, Y_PRED, sensitive_features=GROUPS
    ) == pytest.approx(200 / 3)
    assert metrics.label_risk_difference(Y_TRUE, sensitive_features=GROUPS) == 0.25
    assert metrics.label_risk_ratio(Y_TRUE, sensitive_features=GROUPS) == 0.5
    # Doubling the weight of the first row moves group a's selection rate to 3/5.
    weights = [2, 1, 1, 1, 1, 1, 1, 1]
    value = metrics.demographic_parity_difference(
        Y_TRUE, Y_PRED, sensitive_features=GROUPS, sample_weight=weights
    )
    assert value == pytest.approx(0.15, abs=1e-15)


def test_string_labels_use_larger_class_or_pos_label():
    words = {0: "no", 1: "yes"}
    y_true = [words[y] for y in Y_TRUE]
    y_pred = [words[y] for y in Y_PRED]
    kwargs = {"sensitive_features": GROUPS}
    assert metrics.demographic_parity_difference(y_true, y_pred, **kwargs) == 0.25
    # With "no" as the positive class, selection rates become 2/4 and 1/4.
    flipped = metrics.demographic_parity_difference(
        y_true, y_pred, pos_label="no", **kwargs
    )
    assert flipped == 0.25
    assert metrics.label_risk_ratio(y_true, pos_label="no", **kwargs) == 0.5 / 0.75


def test_multiclass_needs_pos_label():
    y = [0, 1, 2, 0, 1, 2]
    groups = ["a"] * 3 + ["b"] * 3
    with pytest.raises(
        ValueError, match=re.escape(v.POS_LABEL_NEEDED.format(classes=[0, 1, 2]))
    ):
        metrics.label_risk_difference(y, sensitive_features=groups)
    # One class versus the rest: group a has 1/3 of label 2, group b as well.
    assert metrics.label_risk_difference(y, sensitive_features=groups, pos_label=2) == 0


def _raises(template, **fields):
    return pytest.raises(ValueError, match=re.escape(template.format(**fields)))


def test_length_mismatch():
    lengths = {"y_true": 3, "y_pred": 2, "sensitive_features": 3}
    with _raises(v.LENGTH_MISMATCH, lengths=lengths):
        metrics.demographic_parity_difference(
            [0, 1, 1], [0, 1], sensitive_features=["a", "b", "a"]
        )


def test_missing_sensitive_features():
    with _raises(v.NO_SENSITIVE):
        metrics.demographic_parity_difference([0, 1], [0, 1], sensitive_features=None)


def test_single_group():
    with _raises(v.SINGLE_GROUP, group="a"):
        metrics.demographic_parity_ratio([0, 1], [0, 1], sensitive_features=["a", "a"])


def test_group_without_positives_is_named():
    with _raises(v.NO_POSITIVES, group="b", pos_label=1):
        metrics.equal_opportunity_difference(
            [1, 0, 0, 0], [1, 1, 0, 1], sensitive_features=["a", "a", "b", "b"]
        )


def test_group_without_negatives_is_named():
    with _raises(v.NO_NEGATIVES, group="b", pos_label=1):
        metrics.equalized_odds_ratio(
            [1, 0, 1, 1], [1, 1, 0, 1], sensitive_features=["a", "a", "b", "b"]
        )


def test_probabilities_rejected():
    with _raises(v.NOT_LABELS, name="y_pred"):
        metrics.demographic_parity_difference(
            [0, 1, 0, 1], [0.2, 0.9, 0.4, 0.7], sensitive_features=["a", "a", "b", "b"]
        )


def test_continuous_target_rejected():
    with _raises(v.CONTINUOUS_TARGET, name="y_true"):
        metrics.label_risk_difference(
            [0.5, 1.7, 2.2, 3.1], sensitive_features=[0, 0, 1, 1]
        )


def test_missing_labels_rejected():
    with _raises(v.MISSING_LABELS, name="y_true"):
        metrics.label_risk_difference(
            [0, 1, np.nan, 1], sensitive_features=[0, 0, 1, 1]
        )


def test_missing_sensitive_values_rejected():
    sf = pd.DataFrame({"sex": ["F", "M", "F", "M"], "race": ["x", None, "y", "x"]})
    with _raises(v.MISSING_SENSITIVE, column="race"):
        metrics.demographic_parity_difference(
            [0, 1, 0, 1], [0, 1, 1, 1], sensitive_features=sf
        )


def test_bad_method_pos_label_and_weights():
    kwargs = {"sensitive_features": ["a", "a", "b", "b"]}
    with _raises(v.BAD_METHOD, method="worst"):
        metrics.demographic_parity_difference(
            [0, 1, 0, 1], [0, 1, 1, 1], method="worst", **kwargs
        )
    with _raises(v.POS_LABEL_ABSENT, pos_label=7, classes=[0, 1]):
        metrics.demographic_parity_difference(
            [0, 1, 0, 1], [0, 1, 1, 1], pos_label=7, **kwargs
        )
    with _raises(v.BAD_SAMPLE_WEIGHT):
        metrics.label_risk_ratio([0, 1, 0, 1], sample_weight=[1, -1, 1, 1], **kwargs)


def test_two_dimensional_array_gives_intersections():
    y_true, y_pred, sf, _ = _random_inputs("intersectional", seed=3)
    ours = metrics.equalized_odds_difference(
        y_true, y_pred, sensitive_features=sf.to_numpy()
    )
    theirs = flm.equalized_odds_difference(y_true, y_pred, sensitive_features=sf)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_import_does_not_load_torch():
    code = "import fairsynth.metrics, sys; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
