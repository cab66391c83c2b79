import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from fairsynth.datasets import make_biased_classification

DEFAULT_COLUMNS = [
    "group",
    "num_0",
    "num_1",
    "num_2",
    "count",
    "cat_0",
    "cat_1",
    "proxy_0",
    "proxy_1",
]


def positive_rates(X, y, column="group"):
    return y.groupby(X[column], observed=True).mean()


def holdout_auc(features, target):
    """AUC of a logistic regression fitted on the first half, scored on the second."""
    half = len(target) // 2
    model = LogisticRegression().fit(features[:half], target[:half])
    return roc_auc_score(target[half:], model.predict_proba(features[half:])[:, 1])


def test_default_shape_names_and_dtypes():
    X, y = make_biased_classification(random_state=0)
    assert X.shape == (1000, 9)
    assert list(X.columns) == DEFAULT_COLUMNS
    assert list(X["group"].cat.categories) == ["g0", "g1"]
    assert list(X["cat_0"].cat.categories) == ["a", "b", "c", "d"]
    assert X["cat_1"].dtype == "category"
    assert X["count"].dtype == np.int64
    for column in ["num_0", "num_1", "num_2", "proxy_0", "proxy_1"]:
        assert X[column].dtype == np.float64
    assert (y.name, y.dtype) == ("label", np.int64)
    assert set(y.unique()) == {0, 1}
    assert not X.isna().any().any()
    assert y.index.equals(X.index)


def test_several_sensitive_columns_and_feature_counts():
    X, _ = make_biased_classification(
        50, n_groups=[2, 3], n_proxies=3, n_numeric=1, n_categorical=0, random_state=0
    )
    assert list(X.columns) == [
        "group_0",
        "group_1",
        "num_0",
        "count",
        "proxy_0",
        "proxy_1",
        "proxy_2",
    ]
    assert list(X["group_1"].cat.categories) == ["g0", "g1", "g2"]


def test_minimal_table_has_group_and_count_only():
    X, y = make_biased_classification(
        5, n_proxies=0, n_numeric=0, n_categorical=0, random_state=0
    )
    assert list(X.columns) == ["group", "count"]
    assert y.shape == (5,)


def test_same_seed_same_data_and_other_seed_other_data():
    X1, y1 = make_biased_classification(100, missing_rate=0.1, random_state=3)
    X2, y2 = make_biased_classification(100, missing_rate=0.1, random_state=3)
    X3, _ = make_biased_classification(100, missing_rate=0.1, random_state=4)
    pd.testing.assert_frame_equal(X1, X2)
    pd.testing.assert_series_equal(y1, y2)
    assert not X1["num_0"].equals(X3["num_0"])


def test_seeded_call_leaves_the_global_numpy_state_alone():
    # The legacy global state is exactly what must stay untouched.
    before = np.random.get_state()  # noqa: NPY002
    make_biased_classification(100, random_state=0)
    after = np.random.get_state()  # noqa: NPY002
    np.testing.assert_array_equal(after[1], before[1])
    assert after[2] == before[2]


def test_random_state_instance_is_accepted():
    rng = np.random.RandomState(0)
    X1, _ = make_biased_classification(20, random_state=rng)
    X2, _ = make_biased_classification(20, random_state=rng)
    assert not X1.equals(X2)


def test_as_frame_false_returns_numpy():
    X, y = make_biased_classification(30, as_frame=False, random_state=0)
    frame, series = make_biased_classification(30, random_state=0)
    assert isinstance(X, np.ndarray)
    assert X.dtype == object
    assert X.shape == (30, 9)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, series.to_numpy())
    assert list(X[:, 0]) == list(frame["group"])


def test_group_weights_set_group_sizes():
    X, _ = make_biased_classification(
        4000, n_groups=[2, 3], group_weights=[[1, 3], [0.2, 0.3, 0.5]], random_state=0
    )
    shares_0 = X["group_0"].value_counts(normalize=True).sort_index()
    shares_1 = X["group_1"].value_counts(normalize=True).sort_index()
    np.testing.assert_allclose(shares_0, [0.25, 0.75], atol=0.03)
    np.testing.assert_allclose(shares_1, [0.2, 0.3, 0.5], atol=0.03)


def test_a_zero_weight_leaves_a_group_empty_but_declared():
    X, _ = make_biased_classification(
        200, n_groups=3, group_weights=[1, 0, 1], random_state=0
    )
    assert list(X["group"].cat.categories) == ["g0", "g1", "g2"]
    assert (X["group"] == "g1").sum() == 0


def test_without_bias_the_label_ignores_the_group():
    X, y = make_biased_classification(20_000, bias=0.0, random_state=0)
    rates = positive_rates(X, y)
    assert abs(rates["g1"] - rates["g0"]) < 0.03
    assert 0.4 < y.mean() < 0.6


@pytest.mark.parametrize("bias", [0.3, 0.8])
def test_bias_is_the_gap_in_positive_rates(bias):
    X, y = make_biased_classification(20_000, bias=bias, random_state=0)
    rates = positive_rates(X, y)
    assert rates["g1"] - rates["g0"] == pytest.approx(bias, abs=0.03)


def test_bias_orders_groups_of_every_sensitive_column():
    X, y = make_biased_classification(20_000, n_groups=[2, 3], bias=0.6, random_state=0)
    # Each of the two columns carries half of the gap.
    gap_0 = positive_rates(X, y, "group_0").agg(["min", "max"])
    rates_1 = positive_rates(X, y, "group_1")
    assert gap_0["max"] - gap_0["min"] == pytest.approx(0.3, abs=0.03)
    assert rates_1["g0"] < rates_1["g1"] < rates_1["g2"]
    assert rates_1["g2"] - rates_1["g0"] == pytest.approx(0.3, abs=0.03)


def test_label_is_learnable_from_the_informative_features():
    X, y = make_biased_classification(4000, bias=0.0, random_state=0)
    informative = pd.get_dummies(X[["num_0", "num_1", "num_2", "count", "cat_0"]])
    half = len(y) // 2
    model = LogisticRegression(max_iter=500).fit(informative[:half], y[:half])
    assert model.score(informative[half:], y[half:]) > 0.7


def test_proxies_reveal_the_group():
    X, _ = make_biased_classification(4000, random_state=0)
    group = X["group"].cat.codes
    assert holdout_auc(X[["proxy_0", "proxy_1"]], group) > 0.9
    assert holdout_auc(X[["num_0", "num_1"]], group) < 0.6


def test_proxy_strength_zero_gives_noise():
    X, _ = make_biased_classification(4000, proxy_strength=0.0, random_state=0)
    assert holdout_auc(X[["proxy_0", "proxy_1"]], X["group"].cat.codes) < 0.6


def test_proxies_cycle_over_sensitive_columns():
    X, _ = make_biased_classification(
        4000, n_groups=[2, 2], n_proxies=2, random_state=0
    )
    assert holdout_auc(X[["proxy_0"]], X["group_0"].cat.codes) > 0.8
    assert holdout_auc(X[["proxy_1"]], X["group_1"].cat.codes) > 0.8
    assert holdout_auc(X[["proxy_1"]], X["group_0"].cat.codes) < 0.6


def test_missing_rate_spares_sensitive_integer_and_label():
    X, y = make_biased_classification(4000, missing_rate=0.2, random_state=0)
    shares = X.isna().mean()
    for column in ["num_0", "num_2", "cat_0", "cat_1", "proxy_0", "proxy_1"]:
        assert shares[column] == pytest.approx(0.2, abs=0.03)
    assert shares["group"] == shares["count"] == 0
    assert X["count"].dtype == np.int64
    assert X["cat_0"].dtype == "category"
    assert not y.isna().any()


def test_missing_values_do_not_change_the_rest_of_the_table():
    X, y = make_biased_classification(300, random_state=0)
    X_holes, y_holes = make_biased_classification(300, missing_rate=0.3, random_state=0)
    pd.testing.assert_series_equal(y, y_holes)
    kept = X_holes.notna()
    assert X.where(kept).equals(X_holes)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_samples": 0}, "n_samples must be an integer >= 1"),
        ({"n_samples": 10.0}, "n_samples must be an integer"),
        ({"n_samples": True}, "n_samples must be an integer"),
        ({"n_groups": 1}, "n_groups must be an integer >= 2"),
        ({"n_groups": []}, "n_groups must be an integer >= 2 or a non-empty list"),
        ({"n_groups": [2, 1]}, "Each entry of n_groups must be an integer >= 2"),
        ({"n_groups": "2"}, "n_groups must be an integer"),
        ({"group_weights": [1, 2, 3]}, "group_weights must give 2 non-negative"),
        ({"group_weights": [-1, 2]}, "group_weights must give 2 non-negative"),
        ({"group_weights": [0, 0]}, "not all zero"),
        ({"group_weights": ["a", "b"]}, "group_weights must give 2"),
        ({"group_weights": [[0.5, 0.5]]}, "group_weights must give 2"),
        (
            {"n_groups": [2, 3], "group_weights": [0.5, 0.5]},
            "must be a list of 2 lists of weights",
        ),
        ({"n_groups": [2, 3], "group_weights": [[1, 1], [1, 1]]}, "give 3"),
        ({"bias": 1.5}, r"bias must be a number in \[0.0, 1.0\]"),
        ({"bias": -0.1}, "bias must be a number"),
        ({"bias": "high"}, "bias must be a number"),
        ({"proxy_strength": -1.0}, "proxy_strength must be a number"),
        ({"proxy_strength": np.inf}, "proxy_strength must be a number"),
        ({"n_proxies": -1}, "n_proxies must be an integer >= 0"),
        ({"n_numeric": 1.5}, "n_numeric must be an integer"),
        ({"n_categorical": -2}, "n_categorical must be an integer >= 0"),
        ({"missing_rate": 1.0}, r"missing_rate must be a number in \[0.0, 1.0\)"),
        ({"missing_rate": np.nan}, "missing_rate must be a number"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_biased_classification(**{"n_samples": 10, **kwargs})
