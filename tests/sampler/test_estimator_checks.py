"""scikit-learn's and imbalanced-learn's estimator checks, with tiny networks."""

from _helpers import TINY_GAN
from imblearn.utils.estimator_checks import (
    parametrize_with_checks as imblearn_parametrize_with_checks,
)
from sklearn.utils.estimator_checks import parametrize_with_checks

from fairsynth import FairGANSampler

# Each expected failure, with its reason.
EXPECTED_FAILURES = {
    # Its 10 rows leave classes of 3 rows, which the sampler refuses as too few to
    # learn (MIN_CELL_SIZE) rather than generating noise around them.
    "check_fit2d_1feature": "classes of 3 rows are too small to learn",
}


@parametrize_with_checks(
    [FairGANSampler(**TINY_GAN)], expected_failed_checks=lambda est: EXPECTED_FAILURES
)
def test_sklearn_checks(estimator, check):
    check(estimator)


@imblearn_parametrize_with_checks(
    [FairGANSampler(**TINY_GAN)], expected_failed_checks=lambda est: EXPECTED_FAILURES
)
def test_imblearn_checks(estimator, check):
    check(estimator)
