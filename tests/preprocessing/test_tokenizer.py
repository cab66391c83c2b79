import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

import fairsynth.preprocessing._tokenizer as tokenizer_module
from fairsynth.datasets import load_adult
from fairsynth.preprocessing import TabularTokenizer
from fairsynth.preprocessing._bins import _quantile_bins

N = 2000


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    gain = np.where(rng.random(N) < 0.9, 0, rng.integers(1, 100_000, N))
    income = pd.Series(rng.lognormal(10, 1, N)).mask(rng.random(N) < 0.1)
    return pd.DataFrame(
        {
            "age": rng.integers(17, 91, N),
            "gain": gain,
            "income": income,
            "kids": pd.Series(rng.integers(0, 5, N)).astype("Int64"),
            "city": pd.Series(rng.choice(["Oslo", "Rome", "Lima"], N), dtype=object),
            "flag": rng.random(N) < 0.3,
        }
    )


@pytest.fixture(scope="module")
def tokenizer(frame):
    return TabularTokenizer(random_state=0).fit(frame)


def uniform_offsets(tokens, seed=0):
    return np.random.default_rng(seed).random(tokens.shape)


def test_tokens_and_vocabularies(frame, tokenizer):
    tokens = tokenizer.transform(frame)
    assert tokens.dtype == np.int64 and tokens.shape == (N, 6)
    assert tokenizer.columns_ == list(frame.columns)
    # 74 ages and 5 kids: coded exactly; income has a token for missing values.
    sizes = dict(zip(tokenizer.columns_, tokenizer.vocab_sizes_, strict=True))
    assert sizes["age"] == frame["age"].nunique() and sizes["kids"] == 5
    assert sizes["city"] == 3 and sizes["flag"] == 2
    assert 50 <= sizes["income"] - 1 <= 100
    assert (tokens >= 0).all() and (tokens < tokenizer.vocab_sizes_).all()


def test_few_valued_columns_round_trip_exactly(frame, tokenizer):
    back = tokenizer.inverse_transform(tokenizer.transform(frame))
    assert back.dtypes.equals(frame.dtypes)
    for column in ("age", "kids", "city", "flag"):
        pd.testing.assert_series_equal(back[column], frame[column])
    pd.testing.assert_series_equal(back["income"].isna(), frame["income"].isna())


def test_binned_values_stay_in_their_bin(frame, tokenizer):
    tokens = tokenizer.transform(frame)
    back = tokenizer.inverse_transform(tokens, uniform_offsets(tokens))
    # Decoding at any offset gives a value with the same token back.
    np.testing.assert_array_equal(tokenizer.transform(back), tokens)


def test_point_mass_and_tail_survive_decoding(frame, tokenizer):
    tokens = tokenizer.transform(frame)
    back = tokenizer.inverse_transform(tokens, uniform_offsets(tokens))
    # The zeros of a 90 %-zero column are one token, decoded as exactly 0.
    np.testing.assert_array_equal(back["gain"] == 0, frame["gain"] == 0)
    nonzero = frame.loc[frame["gain"] > 0, "gain"]
    decoded = back.loc[frame["gain"] > 0, "gain"]
    assert decoded.std() == pytest.approx(nonzero.std(), rel=0.1)
    # An integer column decodes to values it had.
    assert decoded.isin(nonzero).all()
    income = frame["income"].dropna()
    assert back["income"].dropna().between(income.min(), income.max()).all()
    for level in (0.05, 0.5, 0.95):
        assert back["income"].quantile(level) == pytest.approx(
            income.quantile(level), rel=0.05
        )


def test_offsets_default_to_the_middle(frame, tokenizer):
    tokens = tokenizer.transform(frame)
    middle = tokenizer.inverse_transform(tokens)
    pd.testing.assert_frame_equal(
        middle, tokenizer.inverse_transform(tokens, np.full(tokens.shape, 0.5))
    )


def test_quantile_bins_keep_point_masses_alone():
    values = np.sort(np.r_[np.zeros(900), np.arange(100) + 1.5, np.full(50, 7.0)])
    bins = _quantile_bins(values, 10)
    # The zeros are one bin; the other 150 rows share the nine others, the run of
    # fifty 7.0s staying in one of them.
    assert np.bincount(bins)[0] == 900 and bins.max() + 1 <= 10
    assert len(np.unique(bins[values == 7.0])) == 1
    assert np.all(np.diff(bins) >= 0)


def test_small_tables_get_fewer_bins():
    values = pd.DataFrame({"x": np.random.default_rng(1).normal(size=300)})
    tokenizer = TabularTokenizer(n_bins=100).fit(values)
    # At least 20 rows per bin on average.
    assert tokenizer.vocab_sizes_ == [15]


def test_derived_column_is_rebuilt():
    rng = np.random.default_rng(0)
    levels = rng.choice(["low", "mid", "high"], 600)
    X = pd.DataFrame(
        {
            "level": levels,
            "rank": pd.Series(levels).map({"low": 1, "mid": 2, "high": 3}),
        }
    )
    tokenizer = TabularTokenizer().fit(X)
    assert tokenizer.derived_columns_ == {"rank": "level"}
    assert tokenizer.columns_ == ["level"]
    pd.testing.assert_frame_equal(
        tokenizer.inverse_transform(tokenizer.transform(X)), X
    )


def test_adult_numbers_keep_their_spread():
    X = load_adult(subset="train", return_X_y=True)[0]
    tokenizer = TabularTokenizer(random_state=0).fit(X)
    tokens = tokenizer.transform(X)
    back = tokenizer.inverse_transform(tokens, uniform_offsets(tokens))
    for column in ("age", "capital_gain", "capital_loss", "hours_per_week"):
        assert back[column].std() == pytest.approx(X[column].std(), rel=0.02)
        assert (back[column] != 0).mean() == pytest.approx(
            (X[column] != 0).mean(), abs=0.001
        )


def test_bad_tokens_are_refused(tokenizer):
    with pytest.raises(ValueError, match=r"Expected tokens of shape \(n, 6\)"):
        tokenizer.inverse_transform(np.zeros((3, 2), dtype=int))
    tokens = np.zeros((3, 6), dtype=int)
    tokens[1, 4] = 3
    expected = tokenizer_module.TOKEN_OUT_OF_RANGE.format(column="city", top=2)
    with pytest.raises(ValueError) as error:
        tokenizer.inverse_transform(tokens)
    assert str(error.value) == expected


def test_unseen_category_is_named(frame, tokenizer):
    with pytest.raises(
        ValueError, match=r"categories not seen at fit time: \['Bern'\]"
    ):
        tokenizer.transform(frame.assign(city="Bern"))


def test_clone_and_pickle(frame, tokenizer):
    assert clone(tokenizer).get_params() == tokenizer.get_params()
    restored = pickle.loads(pickle.dumps(tokenizer))
    np.testing.assert_array_equal(restored.transform(frame), tokenizer.transform(frame))


@parametrize_with_checks(
    [TabularTokenizer()],
    expected_failed_checks=lambda estimator: {
        "check_complex_data": "complex columns raise a TypeError naming the column "
        "and dtype, not scikit-learn's 'Complex data not supported'",
    },
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_a_few_valued_number_can_determine_a_band():
    rng = np.random.default_rng(0)
    age = rng.integers(18, 70, 1500)
    X = pd.DataFrame({"age": age, "band": np.where(age < 25, "young", "older")})
    tokenizer = TabularTokenizer().fit(X)
    assert tokenizer.derived_columns_ == {"band": "age"}
    back = tokenizer.inverse_transform(tokenizer.transform(X))
    pd.testing.assert_frame_equal(back, X)
    # A binned number decodes to values within bins, so it determines nothing.
    X["amount"] = rng.lognormal(size=1500)
    X["high"] = np.where(X["amount"] > 1, "yes", "no")
    assert "high" not in TabularTokenizer().fit(X).derived_columns_
