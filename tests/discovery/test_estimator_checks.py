"""scikit-learn's estimator checks, with a tiny VAE."""

from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from fairsynth.discovery import LatentRarity, RarityWeightedClassifier

TINY_VAE = {"epochs": 1, "hidden": 8, "random_state": 0}
# Each expected failure, with its reason.
EXPECTED_FAILURES = {
    # The table encoder refuses complex numbers with a TypeError that names the
    # column and says what to convert it to.
    "check_complex_data": "a TypeError naming the column",
}
WRAPPER_FAILURES = {
    # Objects that are neither numbers nor categories (a dict) reach the encoder
    # through the rarity model, which refuses them in its own words.
    "check_dtype_object": "the encoder's own TypeError",
    # The rarity model reads a DataFrame's columns by name, and names must be
    # strings (TabularEncoder's BAD_COLUMN_NAMES).
    "check_classifier_data_not_an_array": "DataFrame column names must be strings",
}


@parametrize_with_checks(
    [
        LatentRarity(**TINY_VAE),
        RarityWeightedClassifier(
            estimator=LogisticRegression(), rarity=LatentRarity(**TINY_VAE)
        ),
    ],
    expected_failed_checks=lambda est: (
        WRAPPER_FAILURES
        if isinstance(est, RarityWeightedClassifier)
        else EXPECTED_FAILURES
    ),
)
def test_sklearn_checks(estimator, check):
    check(estimator)
