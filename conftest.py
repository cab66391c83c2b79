"""Settings for the doctests that pytest collects from fairsynth's docstrings."""

import numpy as np
import pytest
from _pytest.doctest import DoctestItem  # as scikit-learn's conftest does


@pytest.fixture(autouse=True)
def _numpy_scalars_print_as_numbers(request):
    """In doctests, print numpy scalars as ``True`` and ``0.5``, as numpy 1 does.

    numpy 2 prints them as ``np.True_`` and ``np.float64(0.5)``; the examples show
    the values, so that they read the same and pass under both.
    """
    numpy_1 = np.lib.NumpyVersion(np.__version__) < "2.0.0"
    if numpy_1 or not isinstance(request.node, DoctestItem):
        yield
        return
    options = np.get_printoptions()
    np.set_printoptions(legacy="1.25")
    yield
    np.set_printoptions(**options)
