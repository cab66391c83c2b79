"""Atomic file writes shared by the command line and the HTML report.

A module of its own, at the top of the package, so that the command line can use it
without importing matplotlib through ``fairsynth.report``, and the report without
importing the command line that imports it.
"""

import contextlib
import os
import tempfile
from pathlib import Path


def file_mode():
    """Return the permissions of a new file under the current umask.

    mkstemp creates files readable by their owner only; outputs are meant to be
    shared like any other file.
    """
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; move it onto ``path`` on success.

    On any error, Ctrl-C included, the temporary file is removed and ``path`` is
    left as it was, so no half-written file is ever left behind.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".part"
    )
    os.close(handle)
    try:
        yield temporary
        os.chmod(temporary, file_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
