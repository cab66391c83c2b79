"""scikit-learn's estimator checks that apply to DrFairnessClassifier.

The generic checks fit on random numeric arrays with no group column, and every
column of such data has as many values as rows: each would be a group of one
row, which the classifier refuses (a cell needs two rows, one to validate). The
checks below are those that do not fit on such data; fitting, cloning,
pickling, reproducibility, pipelines and searches are tested on biased tables in
test_classifier.py.
"""

import pytest
from sklearn.utils import estimator_checks

from fairsynth import DrFairnessClassifier

CHECKS = [
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_repr",
    "check_estimator_cloneable",
    "check_valid_tag_types",
    "check_estimator_tags_renamed",
]


@pytest.mark.parametrize("name", CHECKS)
def test_sklearn_checks(name):
    check = getattr(estimator_checks, name)
    check(
        type(DrFairnessClassifier()).__name__, DrFairnessClassifier(sensitive="group")
    )
