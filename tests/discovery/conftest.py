import pytest

from fairsynth.datasets import make_biased_classification


@pytest.fixture(scope="package")
def table():
    return make_biased_classification(n_samples=300, missing_rate=0.05, random_state=0)
