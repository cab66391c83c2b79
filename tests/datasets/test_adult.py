import numpy as np
import pytest

from fairsynth.datasets import load_adult


@pytest.fixture(scope="module")
def adult():
    return load_adult()


def test_bunch_fields(adult):
    assert set(adult) == {
        "frame",
        "data",
        "target",
        "feature_names",
        "target_names",
        "sensitive",
        "DESCR",
    }
    assert adult.sensitive == ["sex", "race"]
    assert adult.frame.shape == (48_842, 15)
    assert adult.data.shape == (48_842, 14)
    assert adult.feature_names == list(adult.data.columns)
    assert adult.target_names == ["income"]
    assert adult.target.name == "income"
    assert "CC BY 4.0" in adult.DESCR


def test_target_is_binary_with_the_known_rate(adult):
    assert adult.target.dtype == np.int64
    assert set(adult.target.unique()) == {0, 1}
    # 11,687 of the 48,842 people earn more than $50K.
    assert int(adult.target.sum()) == 11_687


def test_sensitive_columns_and_category_dtypes(adult):
    X = adult.data
    assert {"sex", "race"} <= set(X.columns)
    assert list(X["sex"].cat.categories) == ["Female", "Male"]
    assert len(X["race"].cat.categories) == 5
    categorical = [column for column in X if X[column].dtype == "category"]
    assert len(categorical) == 8
    numeric = X.drop(columns=categorical)
    assert all(np.issubdtype(dtype, np.integer) for dtype in numeric.dtypes)


def test_question_marks_are_missing(adult):
    X = adult.data
    assert X["workclass"].isna().sum() > 0
    assert X["native_country"].isna().sum() > 0
    for column in ["workclass", "occupation", "native_country"]:
        assert "?" not in X[column].cat.categories


def test_no_trailing_dots_or_spaces(adult):
    for column in adult.data.select_dtypes("category"):
        categories = adult.data[column].cat.categories
        assert not any(c.endswith(".") or c != c.strip() for c in categories)


@pytest.mark.parametrize(
    ("subset", "n_rows", "positive_rate"),
    [("train", 32_561, 0.2408), ("test", 16_281, 0.2362)],
)
def test_subsets(subset, n_rows, positive_rate):
    X, y = load_adult(subset=subset, return_X_y=True)
    assert X.shape == (n_rows, 14)
    assert y.mean() == pytest.approx(positive_rate, abs=1e-4)


def test_subsets_share_categories(adult):
    X_test, _ = load_adult(subset="test", return_X_y=True)
    for column in X_test.select_dtypes("category"):
        assert X_test[column].cat.categories.equals(adult.data[column].cat.categories)


def test_numpy_output():
    bunch = load_adult(subset="test", as_frame=False)
    assert bunch.frame is None
    assert bunch.data.dtype == object
    assert bunch.data.shape == (16_281, 14)
    assert bunch.target.dtype == np.int64


def test_bad_subset_is_named():
    with pytest.raises(ValueError, match="subset must be one of .* got 'validation'"):
        load_adult(subset="validation")
