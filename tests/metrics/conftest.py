import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _single_openmp_thread():
    # The test machine's cores are shared; OpenMP spin-waiting in gradient boosting
    # makes small fits 50x slower when threads outnumber free cores.
    with threadpool_limits(limits=1, user_api="openmp"):
        yield
