"""FairGANSampler inside imbalanced-learn pipelines and GridSearchCV."""

import numpy as np
import pytest
from _helpers import TINY_GAN
from imblearn.pipeline import Pipeline
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import OneHotEncoder

from fairsynth import FairGANSampler
from fairsynth.datasets import make_biased_classification
from fairsynth.metrics import make_fairness_scorer


def fair_pipeline():
    """Resample, then drop the sensitive column before the model sees the data."""
    features = ColumnTransformer(
        [
            ("drop_group", "drop", ["group"]),
            ("categories", OneHotEncoder(handle_unknown="ignore"), ["cat_0", "cat_1"]),
        ],
        remainder=SimpleImputer(),
    )
    return Pipeline(
        [
            ("resample", FairGANSampler(sensitive="group", **TINY_GAN)),
            ("features", features),
            ("model", LogisticRegression(max_iter=500)),
        ]
    )


@pytest.fixture(scope="module")
def data():
    return make_biased_classification(300, bias=0.6, random_state=0)


def test_pipeline_drops_the_sensitive_column(data):
    X, y = data
    pipeline = fair_pipeline().fit(X, y)
    assert pipeline.named_steps["model"].n_features_in_ == len(
        pipeline.named_steps["features"].get_feature_names_out()
    )
    assert not any("group" in name for name in pipeline[:-1].get_feature_names_out())
    # Predicting does not resample: one prediction per row.
    assert pipeline.predict(X).shape == (len(X),)


def test_grid_search_over_fairness_settings(data):
    X, y = data
    scoring = {
        "accuracy": "accuracy",
        "dp": make_fairness_scorer("demographic_parity_difference", sensitive="group"),
    }
    search = GridSearchCV(
        fair_pipeline(),
        {
            # The adversary only acts on fully generated tables.
            "resample__keep_real": [False],
            "resample__lambda_fair": [0.0, 5.0],
            "resample__sampling_strategy": ["parity", "balance"],
        },
        scoring=scoring,
        refit="accuracy",
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    dp_scores = search.cv_results_["mean_test_dp"]
    # Differences come back negated: greater is better.
    assert np.all(dp_scores <= 0) and np.all(np.isfinite(dp_scores))
    assert search.best_estimator_.predict(X).shape == (len(X),)
