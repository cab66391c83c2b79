"""A folder of trained networks, reused when the data and training parameters match.

An entry is named by a content fingerprint (:func:`joblib.hash`) of everything
that shapes the networks: fairsynth's version, the training parameters, the
training seeds, the data and the sample weights. Entries are written to a
temporary file and renamed, so an interrupted fit leaves none; a lock per entry
makes concurrent fits of the same entry (a search with ``n_jobs > 1``) train it
once. Entries are pickles, as in scikit-learn's ``Pipeline(memory=...)``: use
only a folder that nobody else writes.
"""

import contextlib
import os
from pathlib import Path

import joblib

from .. import __version__
from .._files import atomic_path

try:
    import fcntl
except ImportError:  # Windows: no lock, so concurrent fits of an entry both train.
    fcntl = None

SUBFOLDER = "fairsynth_networks"


def cache_location(memory):
    """Return the folder that ``memory`` (None, a path or a joblib.Memory) names.

    A string, or None for no cache.
    """
    if isinstance(memory, joblib.Memory):
        memory = memory.location
    return None if memory is None else os.fspath(memory)


def cached(memory, key, train):
    """``train()``'s result, from the cache entry of ``key`` if there is one.

    ``key`` is any picklable value; ``train`` returns what to store. Without a
    cache folder (``memory`` None), this is ``train()``.
    """
    location = cache_location(memory)
    if location is None:
        return train()
    folder = Path(location) / SUBFOLDER
    entry = folder / f"{joblib.hash((__version__, key))}.pkl"
    with _locked(folder, entry):
        if entry.exists():
            return joblib.load(entry)
        result = train()
        with atomic_path(entry) as temporary:
            joblib.dump(result, temporary)
        return result


@contextlib.contextmanager
def _locked(folder, entry):
    """Hold the lock of ``entry`` until the block ends."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = open(entry.with_suffix(".lock"), "a")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise ValueError(
            f"memory={str(folder.parent)!r}: cannot write the cache folder {folder} "
            f"({exc.strerror}). Pass a folder you can write, or memory=None."
        ) from exc
    # Closing the file releases the lock, however the block ends.
    with lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield
