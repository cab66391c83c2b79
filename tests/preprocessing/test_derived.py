"""Columns that TabularEncoder rebuilds from the column that determines them."""

import numpy as np
import pandas as pd

from fairsynth.preprocessing import TabularEncoder
from fairsynth.preprocessing._derived import MIN_ROWS_PER_VALUE

LEVELS = {"HS": 9, "BSc": 13, "MSc": 14, "PhD": 16}


def levels(n, rng, *, missing=False):
    """A level's name, its number (missing where the name is), and noise."""
    names = rng.choice(list(LEVELS), n)
    if missing:
        names = np.where(rng.random(n) < 0.2, None, names)
    number = pd.Series(names).map(LEVELS).astype("Int64" if missing else "int64")
    return pd.DataFrame(
        {
            "level": pd.Categorical(names, categories=list(LEVELS)),
            "level_num": number,
            "hours": rng.normal(40, 5, n),
            "flag": rng.random(n) < 0.5,
        }
    )


def random_codes(encoder, n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, encoder.n_features_out_)).astype(np.float32)


def test_a_number_that_a_category_determines_is_rebuilt_from_it():
    X = levels(400, np.random.default_rng(0))
    encoder = TabularEncoder().fit(X)
    assert encoder.derived_columns_ == {"level_num": "level"}
    assert "level_num" not in {span.column for span in encoder.spans_}
    assert encoder.n_features_in_ == 4
    assert encoder.inverse_transform(encoder.transform(X))[
        ["level", "level_num", "flag"]
    ].equals(X[["level", "level_num", "flag"]])
    # Any codes, even random ones, decode to pairs seen in the data.
    decoded = encoder.inverse_transform(random_codes(encoder, 500))
    assert list(decoded.columns) == list(X.columns)
    assert decoded.dtypes.equals(X.dtypes)
    expected = decoded["level"].map(LEVELS).astype("int64")
    assert decoded["level_num"].equals(expected.rename("level_num"))


def test_missing_values_pair_up_too():
    X = levels(400, np.random.default_rng(1), missing=True)
    encoder = TabularEncoder().fit(X)
    assert encoder.derived_columns_ == {"level_num": "level"}
    decoded = encoder.inverse_transform(random_codes(encoder, 500))
    assert decoded["level"].isna().any()
    assert decoded["level_num"].isna().equals(decoded["level"].isna())
    assert decoded["level_num"].dtype == "Int64"


def test_two_columns_that_determine_each_other_keep_one():
    X = levels(400, np.random.default_rng(2))
    X["level_name"] = X["level"].astype(str)
    encoder = TabularEncoder().fit(X)
    assert len(encoder.derived_columns_) == 2
    kept = {"level", "level_name"} - set(encoder.derived_columns_)
    assert len(kept) == 1
    assert set(encoder.derived_columns_.values()) == kept


def test_no_dependency_is_trusted_on_too_few_rows():
    n = 4 * MIN_ROWS_PER_VALUE - 1  # under MIN_ROWS_PER_VALUE rows per level
    encoder = TabularEncoder().fit(levels(n, np.random.default_rng(3)))
    assert encoder.derived_columns_ == {}


def test_a_source_needs_every_category_it_can_decode_to():
    X = levels(400, np.random.default_rng(4))
    X["level"] = X["level"].cat.add_categories(["none"])  # never seen
    assert TabularEncoder().fit(X).derived_columns_ == {}


def test_numbers_and_constants_are_not_sources():
    rng = np.random.default_rng(5)
    X = pd.DataFrame(
        {
            "number": rng.integers(0, 3, 300),
            "same": ["x"] * 300,
            "code": rng.choice(["a", "b"], 300),
        }
    )
    X["double"] = X["number"] * 2  # a function of a number: left to the generator
    assert TabularEncoder().fit(X).derived_columns_ == {}
