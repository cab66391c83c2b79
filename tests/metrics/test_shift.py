"""category_shift: added rows' categories against the real rows of their cells."""

import numpy as np
import pandas as pd
import pytest

from fairsynth.metrics import category_shift


def test_added_rows_like_their_cells_real_rows_score_zero():
    # Cell b is all men; added rows of cell b that are men change nothing, although
    # the real table as a whole is half women.
    real = pd.DataFrame({"sex": ["F", "F", "M", "M"], "n": [1, 2, 3, 4]})
    added = pd.DataFrame({"sex": ["M", "M", "M"], "n": [5, 6, 7]})
    shift = category_shift(
        real, added, real_cells=list("aabb"), added_cells=list("bbb")
    )
    assert shift.to_dict() == {"sex": 0.0}


def test_the_score_is_the_total_variation_distance():
    real = pd.DataFrame({"job": ["x", "y", "x", "z"]})
    added = pd.DataFrame({"job": ["z", "z", "y", "x"]})
    # Expected shares, cells a and b each half the added rows: x 1/2, y 1/4, z 1/4;
    # observed: x 1/4, y 1/4, z 1/2. Half the absolute differences: 1/4.
    shift = category_shift(
        real, added, real_cells=list("aabb"), added_cells=list("aabb")
    )
    assert shift["job"] == pytest.approx(0.25)


def test_missing_values_count_as_a_category_and_unknown_cells_are_left_out():
    real = pd.DataFrame({"c": ["u", np.nan]})
    added = pd.DataFrame({"c": [np.nan, "u", "v"]})
    shift = category_shift(
        real, added, real_cells=["a", "a"], added_cells=["a", "a", "new"]
    )
    assert shift["c"] == pytest.approx(0.0)


def test_columns_are_chosen_and_sorted_by_shift():
    real = pd.DataFrame({"a": list("xxyy"), "b": list("pqpq"), "n": [1.0] * 4})
    added = pd.DataFrame({"a": list("xxxx"), "b": list("pqpq"), "n": [2.0] * 4})
    shift = category_shift(
        real, added, real_cells=list("cccc"), added_cells=list("cccc")
    )
    assert shift.index.tolist() == ["a", "b"]
    assert shift["a"] == pytest.approx(0.5)
