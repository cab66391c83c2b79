"""scikit-learn's estimator checks, run on the unconstrained configuration."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from fairsynth.adversarial import AdversarialFairClassifier

# Without a sensitive column the classifier is a plain network, which is what the
# generic checks (numeric arrays, no group column) can exercise.
CHECKED = AdversarialFairClassifier(
    hidden_layer_sizes=(16,),
    pretrain_epochs=10,
    n_iterations=0,
    batch_size=64,
    lr=0.02,
    random_state=0,
    device="cpu",
)

EXPECTED_FAILED = {
    "check_methods_subset_invariance": (
        "float32 matrix products differ by one unit in the last place between a "
        "batch and its subsets (observed: 2.4e-7 absolute on a logit)"
    ),
}


@parametrize_with_checks([CHECKED], expected_failed_checks=lambda _: EXPECTED_FAILED)
def test_sklearn_compatible(estimator, check):
    check(estimator)
