import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

import fairsynth.preprocessing._columns as columns_module
import fairsynth.preprocessing._encoder as encoder_module
from fairsynth.datasets import load_adult
from fairsynth.preprocessing import Span, TabularEncoder

N = 300
CATEGORIES = ["b", "a", "c", "unused"]


def _with_missing(values, rng, rate=0.2):
    values = pd.Series(values)
    return values.mask(rng.random(len(values)) < rate)


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    point_mass = np.where(rng.random(N) < 0.9, 0, rng.integers(1, 100_000, N))
    return pd.DataFrame(
        {
            "age": rng.integers(17, 91, N),
            "score": rng.normal(0, 3, N),
            "income": _with_missing(rng.lognormal(10, 1, N), rng),
            "gain": point_mass,
            "kids": _with_missing(rng.integers(0, 5, N), rng).astype("Int64"),
            "small": rng.random(N).astype(np.float32),
            "group": pd.Categorical(
                _with_missing(rng.choice(CATEGORIES[:3], N), rng),
                categories=CATEGORIES,
                ordered=True,
            ),
            "city": pd.Series(rng.choice(["Oslo", "Rome", "Lima"], N), dtype="str"),
            "code": pd.Series(rng.choice(["x", "y"], N), dtype=object),
            "flag": rng.random(N) < 0.3,
            "maybe": _with_missing(rng.random(N) < 0.5, rng).astype("boolean"),
        }
    )


@pytest.fixture(scope="module")
def encoder(frame):
    return TabularEncoder(random_state=0).fit(frame)


@pytest.fixture(scope="module")
def adult():
    return load_adult(subset="train", return_X_y=True)[0]


def _random_codes(encoder, n, seed):
    """Raw generator-like outputs: uniform numbers and softmax blocks."""
    rng = np.random.default_rng(seed)
    Z = rng.uniform(-1, 1, (n, encoder.n_features_out_))
    for span in encoder.spans_:
        if span.kind == "categorical":
            block = np.exp(3 * rng.normal(size=(n, span.width)))
            Z[:, span.start : span.stop] = block / block.sum(axis=1, keepdims=True)
    return Z.astype(np.float32)


# Round trips --------------------------------------------------------------------------


def test_round_trip_gives_back_the_table(frame, encoder):
    Z = encoder.transform(frame)
    assert Z.dtype == np.float32 and Z.shape == (N, encoder.n_features_out_)
    back = encoder.inverse_transform(Z)
    assert back.dtypes.equals(frame.dtypes)
    for name in ["age", "gain", "kids", "group", "city", "code", "flag", "maybe"]:
        assert back[name].equals(frame[name]), name
    # Other floats come back within a millionth of their range.
    for name in ["score", "income", "small"]:
        spread = frame[name].max() - frame[name].min()
        np.testing.assert_allclose(back[name], frame[name], rtol=0, atol=1e-6 * spread)


def test_dtypes_and_categories_are_kept(frame, encoder):
    back = encoder.inverse_transform(_random_codes(encoder, 50, seed=1))
    assert back.dtypes.equals(frame.dtypes)
    assert list(back["group"].cat.categories) == CATEGORIES
    assert back["group"].cat.ordered
    assert isinstance(back.index, pd.RangeIndex) and len(back) == 50


def test_round_trip_of_adult_is_exact(adult):
    encoder = TabularEncoder(random_state=0).fit(adult)
    back = encoder.inverse_transform(encoder.transform(adult))
    pd.testing.assert_frame_equal(back, adult, check_exact=True)


@pytest.mark.parametrize(("scale", "error"), [(3e3, 0), (1e4, 2)])
def test_wide_integer_tail_round_trips(scale, error):
    # The top values lie far apart, where quantile codes alone leave them a float32
    # sliver. Up to about 15 million values apart they come back exactly; beyond
    # (here 35 million), within a few units.
    values = np.rint(np.random.default_rng(0).pareto(1.0, 2_000) * scale)
    frame = pd.DataFrame({"weight": values.astype(np.int64)})
    encoder = TabularEncoder().fit(frame)
    back = encoder.inverse_transform(encoder.transform(frame))
    assert (back["weight"] - frame["weight"]).abs().max() <= error


def test_constant_numeric_column():
    frame = pd.DataFrame({"one": [7, 7, 7], "half": [0.5, 0.5, 0.5]})
    encoder = TabularEncoder().fit(frame)
    assert encoder.inverse_transform(encoder.transform(frame)).equals(frame)
    assert encoder.inverse_transform(np.array([[-1, 1], [1, -1]])).equals(frame[:2])


# Spans and names ----------------------------------------------------------------------


def test_spans_are_contiguous_with_the_right_widths(encoder):
    expected = [
        ("age", "numeric", 1),
        ("score", "numeric", 1),
        ("income", "numeric", 1),
        ("income__missing", "categorical", 2),
        ("gain", "numeric", 1),
        ("kids", "numeric", 1),
        ("kids__missing", "categorical", 2),
        ("small", "numeric", 1),
        ("group", "categorical", 5),
        ("city", "categorical", 3),
        ("code", "categorical", 2),
        ("flag", "categorical", 2),
        ("maybe", "categorical", 3),
    ]
    assert [(s.column, s.kind, s.width) for s in encoder.spans_] == expected
    stops = [0] + [span.stop for span in encoder.spans_]
    assert [span.start for span in encoder.spans_] == stops[:-1]
    assert encoder.n_features_out_ == stops[-1] == 25


def test_fitted_attributes(frame, encoder):
    assert list(encoder.feature_names_in_) == list(frame.columns)
    assert encoder.n_features_in_ == 11
    assert encoder.column_kinds_["gain"] == "numeric"
    assert encoder.column_kinds_["flag"] == "categorical"


def test_feature_names_out(encoder):
    names = list(encoder.get_feature_names_out())
    assert len(names) == encoder.n_features_out_
    assert names[:5] == [
        "age",
        "score",
        "income",
        "income__missing=False",
        "income__missing=True",
    ]
    assert names[10:15] == [
        "group=b",
        "group=a",
        "group=c",
        "group=unused",
        "group=nan",
    ]
    assert names[15:18] == ["city=Lima", "city=Oslo", "city=Rome"]


def test_span_width():
    span = Span("workclass", "categorical", 3, 11)
    assert span.width == 8
    with pytest.raises(AttributeError):
        span.start = 0


# Decoding generator outputs -----------------------------------------------------------


def test_random_codes_decode_inside_the_observed_ranges(frame, encoder):
    back = encoder.inverse_transform(_random_codes(encoder, 2_000, seed=2))
    for name in ["age", "score", "income", "gain", "kids", "small"]:
        observed = frame[name].dropna()
        decoded = back[name].dropna()
        assert decoded.min() >= observed.min() and decoded.max() <= observed.max()
    for name in ["age", "gain", "kids"]:
        assert (back[name].dropna() % 1 == 0).all()
    assert set(back["city"]) == {"Lima", "Oslo", "Rome"}
    assert set(back["group"].dropna()) == set(CATEGORIES)


def test_codes_outside_minus_one_one_are_clipped(frame, encoder):
    Z = encoder.transform(frame[:2])
    Z[:, 0] = [-5.0, 5.0]
    assert encoder.inverse_transform(Z)["age"].tolist() == [
        frame["age"].min(),
        frame["age"].max(),
    ]


def test_point_mass_survives_generation(frame, encoder):
    # Uniform codes are what a generator that learned the marginal would output.
    back = encoder.inverse_transform(_random_codes(encoder, 4_000, seed=3))
    rate = (frame["gain"] == 0).mean()
    assert abs((back["gain"] == 0).mean() - rate) < 0.05


def test_whole_valued_floats_decode_whole():
    values = pd.Series([1.0, 2.0, np.nan, 4.0, 10.0])
    encoder = TabularEncoder().fit(pd.DataFrame({"n": values}))
    back = encoder.inverse_transform(_random_codes(encoder, 500, seed=4))
    assert back["n"].dtype == np.float64
    assert (back["n"].dropna() % 1 == 0).all()


@pytest.mark.parametrize("column", ["income", "kids", "group", "maybe"])
def test_missing_values_follow_the_codes(encoder, column):
    Z = _random_codes(encoder, 1_000, seed=5)
    spans = {span.column: span for span in encoder.spans_}
    span = spans.get(f"{column}__missing", spans[column])
    missing = np.random.default_rng(6).random(1_000) < 0.3
    block = np.zeros((1_000, span.width), dtype=np.float32)
    block[np.arange(1_000), np.where(missing, span.width - 1, 0)] = 1.0
    Z[:, span.start : span.stop] = block
    back = encoder.inverse_transform(Z)
    np.testing.assert_array_equal(back[column].isna().to_numpy(), missing)


def test_missing_rows_get_the_neutral_numeric_code(frame, encoder):
    Z = encoder.transform(frame)
    missing = frame["income"].isna().to_numpy()
    np.testing.assert_array_equal(Z[missing, 2], 0.0)
    np.testing.assert_array_equal(Z[:, 3:5].argmax(axis=1), missing)


# Inputs that transform accepts --------------------------------------------------------


def test_transform_reads_columns_by_name(frame, encoder):
    shuffled = frame[frame.columns[::-1]].assign(extra=1)
    np.testing.assert_array_equal(encoder.transform(shuffled), encoder.transform(frame))


def test_transform_remaps_a_different_category_order(frame, encoder):
    reordered = frame.assign(
        group=frame["group"].cat.reorder_categories(CATEGORIES[::-1])
    )
    np.testing.assert_array_equal(
        encoder.transform(reordered), encoder.transform(frame)
    )


def test_transform_of_a_subset_without_missing_values(frame, encoder):
    rows = frame.dropna()
    back = encoder.inverse_transform(encoder.transform(rows))
    assert back["city"].tolist() == rows["city"].tolist()


def test_zero_rows(frame, encoder):
    Z = encoder.transform(frame[:0])
    assert Z.shape == (0, encoder.n_features_out_)
    back = encoder.inverse_transform(Z)
    assert back.shape == (0, 11) and back.dtypes.equals(frame.dtypes)


def test_numpy_input():
    X = np.array([[1.5, 2.0], [0.5, 4.0], [2.5, 6.0]])
    encoder = TabularEncoder().fit(X)
    assert list(encoder.feature_names_in_) == ["x0", "x1"]
    np.testing.assert_allclose(encoder.inverse_transform(encoder.transform(X)), X)


# Errors -------------------------------------------------------------------------------


def _message(template, **fields):
    return template.format(**fields)


def test_missing_column_is_named(frame, encoder):
    with pytest.raises(ValueError) as error:
        encoder.transform(frame.drop(columns=["city", "age"]))
    assert str(error.value) == _message(
        encoder_module.MISSING_COLUMNS, columns=["age", "city"]
    )


def test_unseen_categories_are_named(frame, encoder):
    X = frame[:3].assign(city=pd.Series(["Oslo", "Paris", "Bern"], dtype="str"))
    with pytest.raises(ValueError) as error:
        encoder.transform(X)
    expected = _message(
        columns_module.UNSEEN_CATEGORIES, column="city", values=["Bern", "Paris"]
    )
    assert str(error.value) == expected
    assert "Refit the encoder on data containing them" in expected


def test_unseen_category_of_a_categorical_dtype(frame, encoder):
    group = pd.Categorical(["a", "zz", "b"], categories=["a", "b", "zz"])
    with pytest.raises(ValueError, match=r"'group' has categories .*\['zz'\]"):
        encoder.transform(frame[:3].assign(group=group))


@pytest.mark.parametrize(
    ("column", "values", "expected"),
    [("age", ["1", "2", "3"], "numeric"), ("city", [1.0, 2.0, 3.0], "categorical")],
)
def test_kind_change_is_refused(frame, encoder, column, values, expected):
    X = frame[:3].assign(**{column: values})
    with pytest.raises(ValueError) as error:
        encoder.transform(X)
    assert str(error.value) == _message(
        columns_module.KIND_CHANGED,
        column=column,
        expected=expected,
        dtype=X[column].dtype,
    )


@pytest.mark.parametrize("column", ["score", "city"])
def test_missing_values_unseen_at_fit_are_refused(frame, encoder, column):
    X = frame[:3].copy()
    X.loc[1, column] = np.nan
    with pytest.raises(ValueError) as error:
        encoder.transform(X)
    assert str(error.value) == _message(
        columns_module.UNEXPECTED_MISSING, column=column
    )


@pytest.mark.parametrize(
    ("shape", "what"), [((0, 2), "sample(s)"), ((3, 0), "feature(s)")]
)
def test_empty_table_is_refused(shape, what):
    X = pd.DataFrame(np.zeros(shape), columns=[f"c{i}" for i in range(shape[1])])
    with pytest.raises(ValueError) as error:
        TabularEncoder().fit(X)
    assert str(error.value) == _message(
        encoder_module.EMPTY_TABLE, what=what, shape=shape
    )


def test_too_many_categories(frame):
    with pytest.raises(ValueError) as error:
        TabularEncoder(max_categories=3).fit(frame)
    assert str(error.value) == _message(
        columns_module.TOO_MANY_CATEGORIES, column="group", n=4, cap=3
    )
    assert "group its rare values" in str(error.value)


@pytest.mark.parametrize(
    ("values", "template"),
    [
        ([np.nan, np.nan], columns_module.ALL_MISSING),
        ([1.0, np.inf], columns_module.NOT_FINITE),
    ],
)
def test_numeric_columns_without_a_range_are_refused(values, template):
    with pytest.raises(ValueError) as error:
        TabularEncoder().fit(pd.DataFrame({"v": values}))
    assert str(error.value) == _message(template, column="v")


def test_unsupported_dtype_is_refused():
    X = pd.DataFrame({"when": pd.to_datetime(["2024-01-01", "2024-02-01"])})
    with pytest.raises(TypeError) as error:
        TabularEncoder().fit(X)
    assert str(error.value) == _message(
        columns_module.UNSUPPORTED_DTYPE, column="when", dtype=X["when"].dtype
    )


@pytest.mark.parametrize("names", [[0, 1], ["a", "a"]])
def test_bad_column_names_are_refused(names):
    X = pd.DataFrame([[1, 2]], columns=names)
    with pytest.raises(ValueError) as error:
        TabularEncoder().fit(X)
    assert str(error.value) == _message(encoder_module.BAD_COLUMN_NAMES, names=names)


def test_array_of_wrong_rank_is_refused():
    with pytest.raises(ValueError) as error:
        TabularEncoder().fit(np.zeros(3))
    assert str(error.value) == _message(encoder_module.NOT_2D, shape=(3,))


def test_array_of_wrong_width_is_refused():
    encoder = TabularEncoder().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError) as error:
        encoder.transform(np.zeros((3, 3)))
    assert str(error.value) == _message(
        encoder_module.WRONG_WIDTH, n=3, estimator="TabularEncoder", n_in=2
    )


def test_sparse_input_is_refused():
    with pytest.raises(TypeError) as error:
        TabularEncoder().fit(scipy.sparse.csr_matrix(np.eye(3)))
    assert str(error.value) == encoder_module.SPARSE


@pytest.mark.parametrize("shape", [(4, 24), (25,)])
def test_codes_of_wrong_shape_are_refused(encoder, shape):
    with pytest.raises(ValueError) as error:
        encoder.inverse_transform(np.zeros(shape))
    assert str(error.value) == _message(
        encoder_module.BAD_CODES_SHAPE, n_out=25, shape=shape
    )


def test_non_finite_codes_are_refused(encoder):
    Z = np.zeros((2, 25))
    Z[1, 5] = np.nan
    with pytest.raises(ValueError) as error:
        encoder.inverse_transform(Z)
    assert str(error.value) == encoder_module.NOT_FINITE_CODES


@pytest.mark.parametrize(
    "params", [{"n_quantiles": 1}, {"max_categories": 0}, {"subsample": 1.5}]
)
def test_invalid_parameters_are_refused(frame, params):
    with pytest.raises(InvalidParameterError):
        TabularEncoder(**params).fit(frame)


# Estimator protocol -------------------------------------------------------------------


def test_constructor_takes_keywords_only():
    with pytest.raises(TypeError):
        TabularEncoder(100)


def test_clone_and_get_params():
    encoder = TabularEncoder(n_quantiles=50, max_categories=9, random_state=3)
    cloned = clone(encoder)
    assert cloned.get_params() == {
        "n_quantiles": 50,
        "max_categories": 9,
        "subsample": 100_000,
        "random_state": 3,
    }
    assert not hasattr(cloned, "spans_")


def test_pickle_round_trip(frame, encoder):
    restored = pickle.loads(pickle.dumps(encoder))
    assert restored.spans_ == encoder.spans_
    Z = encoder.transform(frame)
    np.testing.assert_array_equal(restored.transform(frame), Z)
    pd.testing.assert_frame_equal(
        restored.inverse_transform(Z), encoder.inverse_transform(Z)
    )


def test_random_state_only_drives_the_subsample(frame):
    def codes(seed):
        encoder = TabularEncoder(subsample=50, random_state=seed).fit(frame)
        return encoder.transform(frame)

    np.testing.assert_array_equal(codes(0), codes(0))
    assert not np.array_equal(codes(0), codes(1))


def test_import_does_not_load_torch():
    code = "import sys, fairsynth.preprocessing; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@parametrize_with_checks(
    [TabularEncoder()],
    expected_failed_checks=lambda estimator: {
        "check_complex_data": "complex columns raise a TypeError naming the column "
        "and dtype, not scikit-learn's 'Complex data not supported'",
    },
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
