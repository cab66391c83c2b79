"""Columns a generator should not learn are named before it trains."""

import numpy as np
import pandas as pd
import pytest
from _helpers import TINY_GAN

from fairsynth import FairGANSampler
from fairsynth.datasets import load_adult, make_biased_classification
from fairsynth.sampler._risky_columns import risky_columns

N = 120


def messy_table():
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "row_id": np.arange(1000, 1000 + N),
            "name": [f"person {i}" for i in range(N)],
            "notes": ["seen twice at the old address on the main road"] * N,
            "visit": ["2021-03-04", "2022/11/30", "2020-01-01 10:00"] * (N // 3),
            "stamp": pd.date_range("2020-01-01", periods=N),
            "country": ["x"] * N,
            "empty": [np.nan] * N,
            # Nearly unique, but measurements: kept.
            "weight": rng.integers(10_000, 1_500_000, N),
            "income": rng.normal(size=N),
            "band": rng.choice(["low", "mid", "high"], N),
        }
    )


def test_identifiers_text_dates_and_constants_are_named():
    found = risky_columns(messy_table())
    assert found == {
        "row_id": f"an identifier ({N} distinct values in {N} rows)",
        "name": f"an identifier ({N} distinct values in {N} rows)",
        "notes": "constant",
        "visit": "a date written as text",
        "stamp": "a date",
        "country": "constant",
        "empty": "all missing",
    }


def test_free_text_is_named():
    said = [
        f"called about the bill of week {i % 9}, asked for more time" for i in range(N)
    ]
    notes = pd.DataFrame({"notes": said})
    assert risky_columns(notes) == {"notes": "free text"}


def test_labels_that_single_out_rows_are_named():
    # Half the rows hold a surname no other row has; the band repeats.
    surnames = [f"name {i}" for i in range(N // 2)] + ["smith", "jones"] * (N // 4)
    frame = pd.DataFrame({"surname": surnames, "band": ["low", "high"] * (N // 2)})
    assert risky_columns(frame) == {
        "surname": "a label of 62 values that singles out rows (50% of rows hold a "
        "value no other row has)"
    }


def test_ordinary_tables_have_none():
    X, _ = load_adult(subset="train", return_X_y=True)
    assert risky_columns(X.sample(400, random_state=0)) == {}
    assert risky_columns(make_biased_classification(300, random_state=0)[0]) == {}


def test_fit_warns_with_the_columns_and_the_fix():
    X, y = make_biased_classification(300, random_state=0)
    X = X.assign(row_id=np.arange(len(X)))
    sampler = FairGANSampler(sensitive="group", **TINY_GAN)
    with pytest.warns(UserWarning, match=r"'row_id' \(an identifier.*X.drop\(columns="):
        sampler.fit(X, y)
