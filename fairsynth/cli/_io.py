"""Reading and writing tables for the command line: CSV or Parquet, by extension.

Every write goes to a temporary file beside the target and is moved into place only
when complete, so an error or a Ctrl-C never leaves a half-written file behind.
"""

import os
import sys
from pathlib import Path

import pandas as pd

from .._files import atomic_path

# Before pandas 3 the default CSV parser could miss a float by its last bit; real
# rows must come back from a resampled file exactly as they were read.
EXACT_FLOATS = (
    {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
)

# Rows that `fairsynth sample` generates and writes at a time: memory holds one
# chunk, whatever -n is.
SAMPLE_CHUNK = 100_000

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class CLIError(Exception):
    """An error the command line reports in one line, without a traceback."""


def table_format(path):
    """Return ``"csv"`` or ``"parquet"`` from a path's extension."""
    kind = FORMATS.get(Path(path).suffix.lower())
    if kind is None:
        raise CLIError(
            f"{path}: unknown table format; use a .csv or .parquet file name."
        )
    return kind


def _require_pyarrow(path):
    try:
        import pyarrow  # noqa: F401
    except ImportError as error:
        raise CLIError(
            f"{path}: install pyarrow to read and write Parquet (pip install pyarrow)."
        ) from error


def read_table(path):
    """Read a CSV or Parquet table.

    CSV text columns stay text as written; Parquet keeps its dtypes, categories
    included.
    """
    kind = table_format(path)
    if not Path(path).is_file():
        raise CLIError(f"{path}: no such file.")
    if kind == "parquet":
        _require_pyarrow(path)
        frame = pd.read_parquet(path)
    else:
        try:
            frame = pd.read_csv(path, **EXACT_FLOATS)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError) as err:
            raise CLIError(f"{path}: cannot read it as CSV ({err}).") from err
    if frame.empty:
        raise CLIError(f"{path}: the table has no rows.")
    return frame


def _names(columns):
    return ", ".join(map(repr, columns))


def check_columns(frame, names, path, option):
    """Every name in ``names`` must be a column of ``frame``."""
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise CLIError(
            f"{path}: no column {_names(missing)} (from {option}); "
            f"the columns are {', '.join(map(str, frame.columns))}."
        )


def check_same_columns(frame, path, reference, reference_path, *, allow_missing=False):
    """``frame`` must have the columns of ``reference``, in any order.

    The report's metrics and figures align columns by name, so only the set of
    names must match. With ``allow_missing``, ``frame`` may lack some columns (those
    dropped before training); return them.
    """
    missing = [name for name in reference.columns if name not in frame.columns]
    unexpected = [name for name in frame.columns if name not in reference.columns]
    if not unexpected and (allow_missing or not missing):
        return missing
    problems = [
        *([f"missing {_names(missing)}"] if missing else []),
        *([f"unexpected {_names(unexpected)}"] if unexpected else []),
    ]
    raise CLIError(
        f"{path}: its columns differ from those of {reference_path}: "
        f"{'; '.join(problems)}. Generate it with a model trained on "
        f"{reference_path}, or rename or drop columns so that both tables have "
        "the same ones (in any order)."
    )


def check_output(path, *, force, inputs=()):
    """Refuse to write over an input, or over an existing file without ``force``."""
    path = Path(path)
    for source in inputs:
        if Path(source).exists() and path.exists() and path.samefile(source):
            raise CLIError(f"{path}: is an input file; it will not be overwritten.")
    if path.exists() and not force:
        raise CLIError(f"{path}: already exists; pass --force to overwrite it.")
    if not path.parent.exists():
        raise CLIError(f"{path}: the folder {path.parent} does not exist.")
    if not os.access(path.parent, os.W_OK):
        raise CLIError(f"{path}: cannot write to the folder {path.parent}.")


def check_table_output(path, *, force, inputs=()):
    """Check an output table's path, format and writer before any work is done."""
    check_output(path, force=force, inputs=inputs)
    if table_format(path) == "parquet":
        _require_pyarrow(path)


def write_table(frame, path):
    """Write ``frame`` as CSV or Parquet, atomically."""
    kind = table_format(path)
    if kind == "parquet":
        _require_pyarrow(path)
    with atomic_path(path) as temporary:
        if kind == "parquet":
            frame.to_parquet(temporary, index=False)
        else:
            frame.to_csv(temporary, index=False)


def write_csv_chunks(sampler, path, n_samples, *, quiet, **options):
    """Generate ``n_samples`` rows into a CSV file chunk by chunk, atomically.

    Memory holds one chunk of rows at a time, as for Parquet (see
    FairGANSampler.sample_to_parquet).
    """
    from tqdm.auto import tqdm

    from ..sampler._stream import sample_chunks

    chunks = sample_chunks(sampler, n_samples, chunk_rows=SAMPLE_CHUNK, **options)
    with (
        atomic_path(path) as temporary,
        open(temporary, "w", newline="") as handle,
        tqdm(total=n_samples, unit="rows", disable=quiet, file=sys.stderr) as bar,
    ):
        for i, frame in enumerate(chunks):
            frame.to_csv(handle, index=False, header=i == 0)
            bar.update(len(frame))


def save_model(model, path):
    """Write a fitted sampler to a model file, atomically (see FairGANSampler.save)."""
    model.save(path)


def load_model(path):
    """Read a sampler saved by ``fairsynth resample --save-model``; nothing runs."""
    from ..sampler import FairGANSampler
    from ..sampler._model_state import ModelFileError

    if not Path(path).is_file():
        raise CLIError(f"{path}: no such file.")
    try:
        return FairGANSampler.load(path)
    except ModelFileError as error:
        raise CLIError(str(error)) from error


def load_classifier(path, *, trusted):
    """Unpickle a fitted classifier, only when the user has said they trust it."""
    if not trusted:
        raise CLIError(
            f"{path}: a pickled classifier runs whatever code it carries when it is "
            "loaded; pass --trust-classifier if you trust where it came from."
        )
    if not Path(path).is_file():
        raise CLIError(f"{path}: no such file.")
    import joblib

    try:
        classifier = joblib.load(path)
    except Exception as error:
        raise CLIError(f"{path}: not a pickled classifier ({error}).") from error
    if not hasattr(classifier, "predict"):
        raise CLIError(
            f"{path}: holds a {type(classifier).__name__}, which has no predict; "
            "save a fitted classifier or Pipeline with joblib.dump."
        )
    return classifier


def match_value(text, values, what):
    """Return the element of ``values`` that a command-line string names."""
    for value in values:
        if str(value) == text:
            return value
    raise CLIError(
        f"{text!r} is not {what}; choose one of {', '.join(map(str, values))}."
    )
