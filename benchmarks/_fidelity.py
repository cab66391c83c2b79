"""How good a synthetic table is: outside scores (SDMetrics), ours, TSTR, privacy."""

import warnings

import numpy as np
import pandas as pd
from _common import drop_sensitive_model
from sklearn.metrics import accuracy_score, roc_auc_score

from fairsynth.metrics import (
    closer_to_training_share,
    detection_auc,
    exact_copy_rate,
)
from fairsynth.metrics._detection import default_classifier


def sdmetrics_scores(real, synthetic):
    """SDMetrics' QualityReport properties and LogisticDetection (1 is best)."""
    from sdmetrics.reports.single_table import QualityReport
    from sdmetrics.single_table import LogisticDetection

    metadata = {
        "columns": {
            name: {
                "sdtype": "numerical"
                if pd.api.types.is_numeric_dtype(real[name])
                else "categorical"
            }
            for name in real.columns
        }
    }
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(real, synthetic, metadata, verbose=False)
        # Its one-hot encoder, fitted on the real rows, rejects values they lack
        # (a category only in the other half of the real reference split).
        detection = LogisticDetection.compute(
            real, synthetic[_values_seen_in(real, synthetic)], metadata
        )
    scores = report.get_properties().set_index("Property")["Score"]
    return {
        "sdv_column_shapes": float(scores["Column Shapes"]),
        "sdv_column_pair_trends": float(scores["Column Pair Trends"]),
        "sdv_logistic_detection": float(detection),
    }


def _values_seen_in(real, synthetic):
    """Which synthetic rows hold, in every categorical column, only real values."""
    seen = np.ones(len(synthetic), dtype=bool)
    for name in real.columns:
        if not pd.api.types.is_numeric_dtype(real[name]):
            seen &= synthetic[name].isin(real[name].unique()).to_numpy()
    return seen


def tstr(synthetic, test, target, seed):
    """Train on ``synthetic``, test on real ``test``: boosting and logistic."""
    X, y = synthetic.drop(columns=target), synthetic[target]
    X_test, y_test = test.drop(columns=target), test[target]
    models = {
        "gb": default_classifier(X, random_state=seed),
        "lr": drop_sensitive_model("logistic", [], seed),
    }
    scores = {}
    for name, model in models.items():
        model.fit(X, y)
        scores[f"tstr_{name}_accuracy"] = accuracy_score(y_test, model.predict(X_test))
        positive = list(model.classes_).index(y_test.max())
        scores[f"tstr_{name}_roc_auc"] = roc_auc_score(
            y_test, model.predict_proba(X_test)[:, positive]
        )
    return scores


def numeric_shapes(real, synthetic):
    """Per numeric column: what column averages hide (tails, spikes, zeros)."""
    rows = []
    for name in real.select_dtypes("number").columns:
        values, generated = real[name].dropna(), synthetic[name].dropna()
        mode = values.mode().iloc[0]
        low, high = values.quantile([0.01, 0.99])
        rows.append(
            {
                "column": name,
                "std_ratio": generated.std() / values.std() if values.std() else np.nan,
                "real_modal_share": (values == mode).mean(),
                "modal_share": (generated == mode).mean(),
                "real_nonzero_share": (values != 0).mean(),
                "nonzero_share": (generated != 0).mean(),
                "real_p01": low,
                "p01": generated.quantile(0.01),
                "real_p99": high,
                "p99": generated.quantile(0.99),
            }
        )
    return rows


def tails_kept(shape):
    """The issue's "no cut tails" test of one :func:`numeric_shapes` row."""
    width = abs(shape["real_p99"] - shape["real_p01"]) or 1.0
    return bool(
        abs(shape["std_ratio"] - 1) <= 0.10
        and abs(shape["modal_share"] - shape["real_modal_share"]) <= 0.03
        and abs(shape["nonzero_share"] - shape["real_nonzero_share"]) <= 0.01
        and abs(shape["p01"] - shape["real_p01"]) <= 0.05 * width
        and abs(shape["p99"] - shape["real_p99"]) <= 0.05 * width
    )


def privacy(train, holdout, synthetic, seed):
    """Exact copies against the holdout's own rate, and the nearer-to-train share."""
    return {
        "exact_copy_share": exact_copy_rate(train, synthetic),
        "holdout_exact_copy_share": exact_copy_rate(train, holdout),
        "closer_to_training_share": closer_to_training_share(
            train, holdout, synthetic, random_state=seed
        ),
    }


def score(train, test, synthetic, target, seed):
    """Every figure of one synthetic table, as one flat dict (and the shapes)."""
    synthetic = synthetic[list(train.columns)]
    scores = {
        **sdmetrics_scores(train, synthetic),
        "detection_auc": detection_auc(train, synthetic, random_state=seed),
        **tstr(synthetic, test, target, seed),
        **privacy(train, test, synthetic, seed),
    }
    shapes = numeric_shapes(train, synthetic)
    scores["numeric_columns_with_tails_kept"] = sum(map(tails_kept, shapes))
    scores["numeric_columns"] = len(shapes)
    return scores, shapes
