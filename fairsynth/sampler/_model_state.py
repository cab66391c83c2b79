"""A fitted sampler's state as JSON and arrays, built from an allowlist of types.

Model files hold data only. Plain values (None, booleans, numbers, strings, lists and
dicts with string keys) are JSON as they are. Every other value is a JSON object
tagged with one of the names below; NumPy arrays of numbers, booleans, strings or
dates are ``.npy`` members read with ``allow_pickle=False``. Reading looks each tag
up in this module, so a file can only make the types listed here, filled with the
data it holds: it cannot name code to import or run.

Estimators are written with their ``__getstate__`` and read with ``__setstate__``,
and dataclasses field by field, so the fields that a class gains are saved without
a change here. A class that is not listed cannot be saved (:data:`CLASSES`).

Nothing here imports torch.
"""

import dataclasses
import io

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from ..preprocessing import Span, TabularEncoder, TabularTokenizer
from ..preprocessing._bins import BinnedColumn
from ..preprocessing._columns import CategoricalColumn, NumericColumn
from ..preprocessing._derived import DerivedColumn
from ._boundary import SparseTabularEncoder

TAG = "__type__"
# The only classes a model file can make, by the names it calls them.
CLASSES = {
    "fairsynth.TabularTokenizer": TabularTokenizer,
    "fairsynth.TabularEncoder": TabularEncoder,
    "fairsynth.SparseTabularEncoder": SparseTabularEncoder,
    "fairsynth.BinnedColumn": BinnedColumn,
    "fairsynth.NumericColumn": NumericColumn,
    "fairsynth.CategoricalColumn": CategoricalColumn,
    "fairsynth.DerivedColumn": DerivedColumn,
    "fairsynth.Span": Span,
    "sklearn.Pipeline": Pipeline,
    "sklearn.LogisticRegression": LogisticRegression,
}
CLASS_NAMES = {cls: name for name, cls in CLASSES.items()}
# NumPy kinds stored as .npy members (booleans, numbers, strings, dates), and those
# that numpy scalars may have.
ARRAY_KINDS = frozenset("biufcUSmM")
SCALAR_KINDS = frozenset("biufU")
# Extension dtypes other than categories and strings, by name.
NULLABLE_DTYPES = frozenset(
    {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64"}
    | {"Float32", "Float64", "boolean"}
)

CANNOT_SAVE = (
    "Cannot save {where}: a model file holds data only, and this is a {kind}. {hint}"
)
FUNCTION_HINT = (
    "Set it to a value (for sampling_strategy, a dict of targets or a strategy's "
    "name) before fitting, or pickle the sampler instead, which keeps code but runs "
    "it when loaded."
)
OTHER_HINT = "Model files hold NumPy, pandas and fairsynth values only."
CLASS_HINT = (
    "If the class holds data only, add it to CLASSES in "
    "fairsynth/sampler/_model_state.py."
)
UNKNOWN_TYPE = (
    "{where} names the type {tag!r}, which fairsynth model files never hold; "
    "it was not written by fairsynth."
)


class ModelFileError(ValueError):
    """A value that a model file cannot hold, or a file that cannot be loaded."""


class StateWriter:
    """Encode values to JSON-ready data; arrays go to ``members`` as ``.npy`` bytes.

    A random state, estimator or fairsynth dataclass met twice is written once and
    referenced the second time, so that what was one object (the RandomState of
    ``random_state`` that a sampler draws from, say) is one object again when
    read. Other values are written where they occur: their identity does not
    matter, and pandas may copy them anyway.
    """

    def __init__(self):
        self.members = {}
        self._seen = {}
        self._n_shared = 0

    def encode(self, value, where):
        """Return ``value`` as JSON-ready data; ``where`` names it in errors."""
        kind = type(value)
        if value is None or kind in (bool, int, float, str):
            return value
        if kind is list:
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if kind is tuple:
            return {TAG: "tuple", "items": self.encode(list(value), where)}
        if kind is dict:
            return self._encode_dict(value, where)
        if not _is_shareable(value):
            return self._encode_object(value, where)
        if id(value) in self._seen:
            return self._reference(value)
        encoded = self._encode_object(value, where)
        # Holding the value keeps its id from passing to another object.
        self._seen[id(value)] = (value, encoded)
        return encoded

    def _encode_dict(self, value, where):
        if all(type(key) is str for key in value) and TAG not in value:
            return {
                key: self.encode(v, f"{where}[{key!r}]") for key, v in value.items()
            }
        items = [
            [self.encode(key, where), self.encode(v, f"{where}[{key!r}]")]
            for key, v in value.items()
        ]
        return {TAG: "dict", "items": items}

    def _reference(self, value):
        _, encoded = self._seen[id(value)]
        if "__id__" not in encoded:
            encoded["__id__"] = self._n_shared
            self._n_shared += 1
        return {TAG: "ref", "id": encoded["__id__"]}

    def _encode_object(self, value, where):
        """Return the tagged form of an object, or raise if its type is not listed."""
        if type(value) in CLASS_NAMES:
            return self._encode_instance(value, where)
        # Subclasses come first: a RangeIndex is an Index.
        encoders = [
            (np.ndarray, self._encode_array),
            (np.generic, self._encode_scalar),
            (np.dtype, self._encode_numpy_dtype),
            (pd.CategoricalDtype, self._encode_categorical_dtype),
            (pd.StringDtype, self._encode_string_dtype),
            (pd.api.extensions.ExtensionDtype, self._encode_nullable_dtype),
            (np.random.RandomState, self._encode_random_state),
            (type(pd.NA), lambda value, where: {TAG: "pandas.NA"}),
            (pd.RangeIndex, self._encode_range_index),
            (pd.MultiIndex, self._refuse),
            (pd.Index, self._encode_index),
            (pd.Series, self._encode_series),
            (pd.DataFrame, self._encode_frame),
        ]
        for types, encode in encoders:
            if isinstance(value, types):
                return encode(value, where)
        return self._refuse(value, where)

    def _refuse(self, value, where, kind=None):
        if callable(value) and not isinstance(value, type):
            raise ModelFileError(
                CANNOT_SAVE.format(where=where, kind="function", hint=FUNCTION_HINT)
            )
        hint = OTHER_HINT
        if kind is None:
            kind = f"{type(value).__qualname__} object"
            if type(value).__module__.startswith("fairsynth."):
                hint = CLASS_HINT
        raise ModelFileError(CANNOT_SAVE.format(where=where, kind=kind, hint=hint))

    def _encode_instance(self, value, where):
        name = CLASS_NAMES[type(value)]
        if dataclasses.is_dataclass(value):
            fields = {
                field.name: getattr(value, field.name)
                for field in dataclasses.fields(value)
            }
            return {TAG: name, "fields": self.encode(fields, where)}
        return {TAG: name, "state": self.encode(value.__getstate__(), where)}

    def _encode_array(self, value, where):
        if value.dtype.kind == "O":
            items = [self.encode(v, f"{where}[...]") for v in value.ravel().tolist()]
            return {
                TAG: "numpy.object_array",
                "shape": list(value.shape),
                "items": items,
            }
        if value.dtype.kind not in ARRAY_KINDS or value.dtype.fields is not None:
            return self._refuse(value, where, kind=f"{value.dtype} array")
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, value, allow_pickle=False)
        member = f"arrays/{len(self.members)}.npy"
        self.members[member] = buffer.getvalue()
        return {TAG: "numpy.ndarray", "member": member}

    def _encode_scalar(self, value, where):
        if value.dtype.kind not in SCALAR_KINDS:
            return self._refuse(value, where, kind=f"{value.dtype} scalar")
        return {TAG: "numpy.scalar", "dtype": value.dtype.str, "value": value.item()}

    def _encode_numpy_dtype(self, value, where):
        if value.fields is not None:
            return self._refuse(value, where, kind="structured dtype")
        return {TAG: "numpy.dtype", "str": value.str}

    def _encode_categorical_dtype(self, value, where):
        return {
            TAG: "pandas.CategoricalDtype",
            "categories": self.encode(value.categories, f"{where}.categories"),
            "ordered": value.ordered,
        }

    def _encode_string_dtype(self, value, where):
        return {
            TAG: "pandas.StringDtype",
            "storage": value.storage,
            "na_value": self.encode(value.na_value, f"{where}.na_value"),
        }

    def _encode_nullable_dtype(self, value, where):
        if value.name not in NULLABLE_DTYPES:
            return self._refuse(value, where, kind=f"{value} dtype")
        return {TAG: "pandas.dtype", "name": value.name}

    def _encode_random_state(self, value, where):
        state = self.encode(value.get_state(legacy=True), where)
        return {TAG: "numpy.RandomState", "state": state}

    def _encode_range_index(self, value, where):
        return {
            TAG: "pandas.RangeIndex",
            **{key: getattr(value, key) for key in ("start", "stop", "step")},
            "name": self.encode(value.name, f"{where}.name"),
        }

    def _encode_index(self, value, where):
        return {
            TAG: "pandas.Index",
            "values": self._encode_values(value, where),
            "name": self.encode(value.name, f"{where}.name"),
        }

    def _encode_series(self, value, where):
        return {
            TAG: "pandas.Series",
            "values": self._encode_values(value, where),
            "index": self.encode(value.index, f"{where}.index"),
            "name": self.encode(value.name, f"{where}.name"),
        }

    def _encode_frame(self, value, where):
        return {
            TAG: "pandas.DataFrame",
            "columns": self.encode(value.columns, f"{where}.columns"),
            "index": self.encode(value.index, f"{where}.index"),
            "data": [
                self._encode_values(value.iloc[:, j], f"{where}.iloc[:, {j}]")
                for j in range(value.shape[1])
            ],
        }

    def _encode_values(self, values, where):
        """Return the dtype and data of a Series or an Index (codes of categories)."""
        dtype = values.dtype
        if isinstance(dtype, np.dtype):
            data = np.asarray(values)
        elif isinstance(dtype, pd.CategoricalDtype):
            data = np.asarray(pd.Categorical(values).codes)
        else:
            data = np.asarray(values, dtype=object)
        return {
            "dtype": self.encode(dtype, f"{where}.dtype"),
            "data": self.encode(data, where),
        }


class StateReader:
    """Decode what :class:`StateWriter` wrote, making only the listed types.

    Each part is decoded in the order it was written, so that an object is made
    before the references to it.

    Parameters
    ----------
    read_member : callable
        Returns the bytes of an array member, given its name.
    where : str
        Names the data in errors.
    """

    def __init__(self, read_member, where):
        self._read_member, self._where = read_member, where
        self._shared = {}

    def decode(self, data):
        """Return the value that ``data``, parsed JSON, stands for."""
        if type(data) is list:
            return [self.decode(item) for item in data]
        if type(data) is not dict:
            return data
        if TAG not in data:
            return {key: self.decode(value) for key, value in data.items()}
        tag = data[TAG]
        if tag == "ref":
            return self._shared[data["id"]]
        value = self._decode_tagged(str(tag), data)
        if "__id__" in data:
            self._shared[data["__id__"]] = value
        return value

    def _decode_tagged(self, tag, data):
        if tag in CLASSES:
            return self._decode_instance(CLASSES[tag], data)
        decoders = {
            "tuple": lambda d: tuple(self.decode(d["items"])),
            "dict": lambda d: {self.decode(k): self.decode(v) for k, v in d["items"]},
            "numpy.ndarray": self._decode_array,
            "numpy.object_array": self._decode_object_array,
            "numpy.scalar": _decode_scalar,
            "numpy.dtype": _decode_numpy_dtype,
            "numpy.RandomState": self._decode_random_state,
            "pandas.NA": lambda d: pd.NA,
            "pandas.CategoricalDtype": lambda d: pd.CategoricalDtype(
                self.decode(d["categories"]), ordered=bool(d["ordered"])
            ),
            "pandas.StringDtype": self._decode_string_dtype,
            "pandas.dtype": _decode_nullable_dtype,
            "pandas.RangeIndex": lambda d: pd.RangeIndex(
                d["start"], d["stop"], d["step"], name=self.decode(d["name"])
            ),
            "pandas.Index": self._decode_index,
            "pandas.Series": self._decode_series,
            "pandas.DataFrame": self._decode_frame,
        }
        if tag not in decoders:
            raise ModelFileError(UNKNOWN_TYPE.format(where=self._where, tag=tag))
        return decoders[tag](data)

    def _decode_instance(self, cls, data):
        if dataclasses.is_dataclass(cls):
            return cls(**self.decode(data["fields"]))
        state = self.decode(data["state"])
        if type(state) is not dict:
            raise TypeError(f"the state of a {cls.__name__} must be a dict")
        instance = cls.__new__(cls)
        instance.__setstate__(state)
        return instance

    def _decode_array(self, data):
        member = self._read_member(str(data["member"]))
        array = np.lib.format.read_array(io.BytesIO(member), allow_pickle=False)
        if array.dtype.kind not in ARRAY_KINDS:
            raise TypeError(f"{data['member']} holds a {array.dtype} array")
        return array

    def _decode_object_array(self, data):
        items = self.decode(data["items"])
        array = np.empty(len(items), dtype=object)
        # One by one: a list of tuples given at once would become a 2-D array.
        for i, item in enumerate(items):
            array[i] = item
        return array.reshape(data["shape"])

    def _decode_string_dtype(self, data):
        """Return a string dtype, stored by Python where pyarrow is missing.

        The values are the same either way, so a model saved beside pyarrow
        loads without it.
        """
        na_value = self.decode(data["na_value"])
        try:
            return pd.StringDtype(str(data["storage"]), na_value=na_value)
        except ImportError:
            return pd.StringDtype("python", na_value=na_value)

    def _decode_random_state(self, data):
        random_state = np.random.RandomState()
        random_state.set_state(self.decode(data["state"]))
        return random_state

    def _decode_values(self, data):
        """Return the values (an array) and the dtype of a Series or an Index."""
        dtype, values = self.decode(data["dtype"]), self.decode(data["data"])
        if isinstance(dtype, pd.CategoricalDtype):
            return pd.Categorical.from_codes(values, dtype=dtype), dtype
        if isinstance(dtype, np.dtype):
            return values, dtype
        return pd.array(values, dtype=dtype), dtype

    def _decode_index(self, data):
        values, dtype = self._decode_values(data["values"])
        return pd.Index(values, dtype=dtype, name=self.decode(data["name"]))

    def _decode_series(self, data):
        values, dtype = self._decode_values(data["values"])
        index = self.decode(data["index"])
        return pd.Series(
            values, index=index, dtype=dtype, name=self.decode(data["name"])
        )

    def _decode_frame(self, data):
        columns_index, index = self.decode(data["columns"]), self.decode(data["index"])
        positions = pd.RangeIndex(len(index))
        columns = {}
        for j, encoded in enumerate(data["data"]):
            values, dtype = self._decode_values(encoded)
            columns[j] = pd.Series(values, index=positions, dtype=dtype)
        frame = pd.DataFrame(columns, index=positions)
        frame.index, frame.columns = index, columns_index
        return frame


def _is_shareable(value):
    return isinstance(value, np.random.RandomState) or type(value) in CLASS_NAMES


def _decode_scalar(data):
    dtype = np.dtype(str(data["dtype"]))
    if dtype.kind not in SCALAR_KINDS:
        raise TypeError(f"a numpy scalar cannot have dtype {dtype}")
    return dtype.type(data["value"])


def _decode_numpy_dtype(data):
    dtype = np.dtype(str(data["str"]))
    if dtype.fields is not None:
        raise TypeError("structured dtypes are not model-file data")
    return dtype


def _decode_nullable_dtype(data):
    if data["name"] not in NULLABLE_DTYPES:
        raise TypeError(f"{data['name']!r} is not a dtype of model files")
    return pd.api.types.pandas_dtype(data["name"])
