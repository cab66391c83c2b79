"""Adversarial debiasing on UCI Adult (train -> test) with race and sex.

Compares, in one run and with networks of the same size (32-32-32 ReLU):

* an unconstrained network (``AdversarialFairClassifier(sensitive=None)``, the same
  schedule without the adversary);
* fairlearn's ``AdversarialFairnessClassifier`` (PyTorch backend), a
  benchmark-only dependency;
* fairsynth's ``AdversarialFairClassifier`` with a softmax adversary on race (5
  groups) and sex.

Race is scored both as the 5-group column (the p%-rule is the min/max selection
rate over all 5 groups) and binarised as white / non-white, like the reference
(Tonk, "Towards fairness in ML with adversarial networks", 2019).

Run from the repository root::

    python benchmarks/bench_adversarial.py [--quick] [--seed 0] [--device auto]
"""

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch
from sklearn.compose import ColumnTransformer
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import fairsynth
from fairsynth.adversarial import AdversarialFairClassifier
from fairsynth.datasets import load_adult
from fairsynth.metrics import (
    demographic_parity_difference,
    equalized_odds_difference,
    p_percent_rule,
)

SENSITIVE = ["race", "sex"]
LAMBDAS = {"race": 200.0, "sex": 10.0}
RESULTS = Path(__file__).parent / "results"


def load(subset):
    """Adult with missing categories filled: the classifiers do not impute."""
    X, y = load_adult(subset=subset, return_X_y=True)
    for column in X.columns[X.isna().any()]:
        X[column] = X[column].cat.add_categories("Missing").fillna("Missing")
    return X, y.to_numpy()


def schedule(quick):
    if quick:
        return {"n_iterations": 40, "adversary_pretrain_epochs": 2}
    return {}


def ours(args, sensitive):
    return AdversarialFairClassifier(
        sensitive=sensitive,
        lambdas=LAMBDAS if sensitive else 0.0,
        device=args.device,
        random_state=args.seed,
        **schedule(args.quick),
    )


class FairlearnModel:
    """fairlearn's classifier on one-hot features, sensitive columns passed aside.

    fairlearn's adversary takes one sensitive target only (two categorical columns
    are "multiclass-multioutput", which it rejects), so it gets the race x sex
    intersection (10 groups) with a softmax adversary.
    """

    def __init__(self, args, alpha):
        from fairlearn.adversarial import AdversarialFairnessClassifier

        layers = [32, "relu", 32, "relu", 32, "relu"]
        self.encoder = None
        self.model = AdversarialFairnessClassifier(
            backend="torch",
            predictor_model=layers,
            adversary_model=layers,
            alpha=alpha,
            epochs=2 if args.quick else 10,
            batch_size=128,
            shuffle=True,
            cuda=None if args.device in ("auto", "cpu") else args.device,
            random_state=args.seed,
        )

    def _encode(self, X):
        features = X.drop(columns=SENSITIVE)
        if self.encoder is None:
            numeric = features.select_dtypes("number").columns.tolist()
            categorical = [c for c in features.columns if c not in numeric]
            self.encoder = ColumnTransformer(
                [
                    ("num", StandardScaler(), numeric),
                    ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
                ],
                sparse_threshold=0.0,
            ).fit(features)
        return self.encoder.transform(features).astype(np.float32)

    def fit(self, X, y):
        groups = X["race"].astype(str) + " | " + X["sex"].astype(str)
        self.model.fit(self._encode(X), y, sensitive_features=groups.to_numpy())
        return self

    def predict(self, X):
        return np.asarray(self.model.predict(self._encode(X))).astype(int)

    def decision_function(self, X):
        # fairlearn has no public score method; its raw output ranks the rows.
        return np.asarray(self.model._raw_predict(self._encode(X))).ravel()


def evaluate(model, X, y):
    y_pred = model.predict(X)
    white = np.where(X["race"].astype(str) == "White", "white", "non-white")
    groups = {"race": X["race"], "race_white_vs_other": white, "sex": X["sex"]}
    row = {
        "accuracy": accuracy_score(y, y_pred),
        "roc_auc": roc_auc_score(y, model.decision_function(X)),
        "selection_rate": float(np.mean(y_pred)),
    }
    for name, values in groups.items():
        kw = {"sensitive_features": values}
        row[f"p_percent_{name}"] = p_percent_rule(y, y_pred, **kw)
        row[f"dp_difference_{name}"] = demographic_parity_difference(y, y_pred, **kw)
        row[f"eo_difference_{name}"] = _equalized_odds(y, y_pred, kw)
    return {key: round(float(value), 4) for key, value in row.items()}


def _equalized_odds(y, y_pred, kw):
    # Undefined (NaN) when a group has no positive or no negative row.
    try:
        return equalized_odds_difference(y, y_pred, **kw)
    except ValueError:
        return float("nan")


def run(name, model, data):
    (X_train, y_train), (X_test, y_test) = data
    start = time.perf_counter()
    model.fit(X_train, y_train)
    row = {"model": name, "fit_seconds": round(time.perf_counter() - start, 1)}
    row.update(evaluate(model, X_test, y_test))
    if isinstance(model, AdversarialFairClassifier) and model.groups_:
        row["train_adversary_auc"] = model.adversary_auc_
        row["train_p_percent"] = model.p_percent_rule_
    print(json.dumps(row), flush=True)
    return row


def to_markdown(report):
    columns = [
        "model",
        "fit_seconds",
        "accuracy",
        "roc_auc",
        "selection_rate",
        "p_percent_race",
        "p_percent_race_white_vs_other",
        "p_percent_sex",
        "dp_difference_race",
        "dp_difference_sex",
        "eo_difference_race",
        "eo_difference_sex",
    ]
    lines = [
        "# Adversarial debiasing on UCI Adult (train -> test)",
        "",
        f"Command: `{report['command']}`",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()),
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    lines += [
        "| " + " | ".join(str(row.get(c, "")) for c in columns) + " |"
        for row in report["results"]
    ]
    lines += ["", "Training-data diagnostics of fairsynth's adversary:", ""]
    lines += [
        f"- {row['model']}: adversary ROC AUC {row['train_adversary_auc']}, "
        f"p%-rule {row['train_p_percent']}"
        for row in report["results"]
        if "train_adversary_auc" in row
    ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    data = load("train"), load("test")
    results = [
        run("unconstrained (same network)", ours(args, None), data),
        run("fairlearn alpha=1", FairlearnModel(args, alpha=1.0), data),
        run("fairlearn alpha=10", FairlearnModel(args, alpha=10.0), data),
        run(f"fairsynth lambdas={LAMBDAS}", ours(args, SENSITIVE), data),
    ]
    report = {
        "command": "python benchmarks/bench_adversarial.py " + " ".join(argv or []),
        "versions": {
            "python": platform.python_version(),
            "fairsynth": fairsynth.__version__,
            "torch": torch.__version__,
            "scikit-learn": sklearn.__version__,
            "fairlearn": _version("fairlearn"),
            "pandas": pd.__version__,
        },
        "device": args.device,
        "threads": torch.get_num_threads(),
        "results": results,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "adversarial.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "adversarial.md").write_text(to_markdown(report))


def _version(package):
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    main(sys.argv[1:])
