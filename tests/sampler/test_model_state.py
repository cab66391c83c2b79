"""The JSON-and-arrays state of model files: each allowed type round-trips exactly."""

import dataclasses
import importlib
import json
import pkgutil

import numpy as np
import pandas as pd
import pytest

import fairsynth.preprocessing
from fairsynth.preprocessing import Span
from fairsynth.sampler._model_state import (
    CLASSES,
    ModelFileError,
    StateReader,
    StateWriter,
)


def round_trip(value):
    writer = StateWriter()
    # Through JSON text, as in a file.
    data = json.loads(json.dumps(writer.encode(value, "value")))
    return StateReader(writer.members.__getitem__, "test").decode(data)


def assert_same(value, restored):
    assert type(restored) is type(value)
    if isinstance(value, pd.DataFrame):
        pd.testing.assert_frame_equal(restored, value)
    elif isinstance(value, pd.Series):
        pd.testing.assert_series_equal(restored, value)
    elif isinstance(value, pd.Index):
        pd.testing.assert_index_equal(restored, value, exact=True)
    elif isinstance(value, np.ndarray):
        assert restored.dtype == value.dtype and restored.shape == value.shape
        np.testing.assert_array_equal(restored, value)
    elif isinstance(value, np.random.RandomState):
        assert restored.random_sample() == value.random_sample()
    elif value is pd.NA:
        assert restored is pd.NA
    else:
        # repr tells NaN, tuples and key order apart, which == would not all do.
        assert repr(restored) == repr(value)


VALUES = {
    "plain": {"a": [1, 2.5, None, True, "x"], "nan": float("nan")},
    "tuple keys": {("g0", 1): 3, (("a", "b"), 0): 4},
    "tag-like key": {"__type__": "not a tag"},
    "int32": np.arange(6, dtype=np.int32).reshape(2, 3),
    "float32": np.array([0.1, np.nan], dtype=np.float32),
    "bool": np.array([True, False]),
    "unicode": np.array(["ab", "c"]),
    "datetime": np.array(["2024-01-02"], dtype="datetime64[D]"),
    "object": np.array([("g", 1), None, np.float64(0.5), "x"], dtype=object),
    "numpy scalars": [np.int64(3), np.float32(0.1), np.bool_(True), np.str_("s")],
    "dtypes": [np.dtype("<f8"), np.dtype(object), pd.CategoricalDtype(["a"], True)],
    "string dtypes": [pd.StringDtype("python"), pd.StringDtype(na_value=np.nan)],
    "nullable dtypes": [pd.Int64Dtype(), pd.BooleanDtype(), pd.Float32Dtype()],
    "NA": pd.NA,
    "range index": pd.RangeIndex(2, 10, 3, name="rows"),
    "object index": pd.Index(["a", "b"], dtype=object, name=("x", 1)),
    "int index": pd.Index([5, 3]),
    "categorical index": pd.CategoricalIndex(["b", "a"], categories=["b", "a"]),
    "Int64 series": pd.Series([1, None, 3], dtype="Int64", name="n"),
    "string series": pd.Series(["a", None], dtype="string", index=["x", "y"]),
    "boolean series": pd.Series([True, None], dtype="boolean"),
    "categorical series": pd.Series(
        pd.Categorical(["lo", None, "hi"], ["lo", "hi"], ordered=True)
    ),
    "frame": pd.DataFrame(
        {
            "cat": pd.Categorical(["a", "b", "a"]),
            "num": [0.5, np.nan, 2.0],
            "count": np.array([1, 2, 3], dtype=np.int16),
            "text": pd.array(["u", None, "w"], dtype="string"),
            "group": np.array([("g", 1), ("g", 2), None], dtype=object),
        },
        index=pd.Index([10, 11, 12], name="id"),
    ),
    "empty frame": pd.DataFrame(
        {"cat": pd.Categorical([], ["x", "y"]), "num": np.array([], dtype=float)}
    ),
    "duplicate columns": pd.DataFrame([[1, 2]], columns=["a", "a"]),
    "random state": np.random.RandomState(7),
    "dataclass": Span("age", "numeric", 0, 1),
}


@pytest.mark.parametrize("name", VALUES)
def test_values_round_trip(name):
    value = VALUES[name]
    restored = round_trip(value)
    if isinstance(value, list):
        assert len(restored) == len(value)
        for item, back in zip(value, restored, strict=True):
            assert_same(item, back)
    else:
        assert_same(value, restored)


def test_one_object_stays_one_object():
    shared = np.random.RandomState(0)
    restored = round_trip({"param": shared, "fitted": shared, "other": [shared]})
    assert restored["param"] is restored["fitted"] is restored["other"][0]


def test_arrays_are_npy_members_without_pickles():
    writer = StateWriter()
    writer.encode({"a": np.arange(3), "b": np.array(["x"], dtype=object)}, "v")
    # The object array is JSON; only the numbers are a member.
    assert list(writer.members) == ["arrays/0.npy"]
    assert writer.members["arrays/0.npy"].startswith(b"\x93NUMPY")


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (lambda y: y, "this is a function. Set it to a value"),
        ({1, 2}, "this is a set object"),
        (pd.MultiIndex.from_tuples([(1, 2)]), "this is a MultiIndex"),
        (np.complex128(1j), "this is a complex128 scalar"),
        (pd.Series([1], dtype="Sparse[int64]"), "Sparse[int64, 0] dtype"),
    ],
)
def test_values_outside_the_allowlist_cannot_be_saved(value, phrase):
    with pytest.raises(ModelFileError) as error:
        StateWriter().encode({"x": [value]}, "the sampler's")
    message = str(error.value)
    assert message.startswith("Cannot save the sampler's['x'][0]")
    assert "a model file holds data only" in message and phrase in message


@pytest.mark.parametrize(
    "data",
    [
        {"__type__": "builtins.eval", "args": ["1"]},
        {"__type__": "sklearn.base.BaseEstimator", "state": {}},
        {"__type__": "pandas.dtype", "name": "object"},
    ],
)
def test_names_outside_the_allowlist_are_refused(data):
    reader = StateReader({}.__getitem__, "m.zip: sampler.json")
    with pytest.raises((ModelFileError, TypeError)) as error:
        reader.decode({"x": data})
    if isinstance(error.value, ModelFileError):
        assert "m.zip: sampler.json names the type" in str(error.value)
        assert "which fairsynth model files never hold" in str(error.value)


def test_every_fitted_column_kind_is_allowlisted():
    # A new kind of fitted column must be listed, or samplers using it cannot save.
    package = fairsynth.preprocessing
    for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if dataclasses.is_dataclass(obj) and obj.__module__ == module.__name__:
                assert obj in CLASSES.values(), f"add {obj.__name__} to CLASSES"


def test_an_unlisted_fairsynth_class_says_where_to_list_it():
    @dataclasses.dataclass
    class NewColumn:
        name: str

    NewColumn.__module__ = "fairsynth.preprocessing._new"
    with pytest.raises(ModelFileError, match="add it to CLASSES in fairsynth/"):
        StateWriter().encode(NewColumn("x"), "tokenizer_._columns[0]")
