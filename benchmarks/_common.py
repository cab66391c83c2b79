"""Shared pieces of the benchmark scripts: arguments, models, result tables."""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from fairsynth.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
)

RESULTS = Path(__file__).parent / "results"
PACKAGES = (
    "fairsynth",
    "torch",
    "skorch",
    "scikit-learn",
    "imbalanced-learn",
    "pandas",
    "ctgan",
    "fairlearn",
)


def parser(description):
    """An argument parser with the options every benchmark takes."""
    args = argparse.ArgumentParser(description=description)
    args.add_argument("--device", default="auto", help="torch device (auto, cpu, cuda)")
    args.add_argument("--seed", type=int, default=0, help="random seed")
    args.add_argument("--quick", action="store_true", help="a smaller, faster run")
    return args


def run_script(script, *argv):
    """Run ``script`` in a fresh Python process; return the JSON of its last line.

    A process of its own gives a measurement its own peak memory. A failure
    raises with the child's stderr.
    """
    done = subprocess.run(
        [sys.executable, "-c", script, *map(str, argv)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def timer(record, key):
    """Store the seconds the block took in ``record[key]``."""
    start = time.perf_counter()
    yield
    record[key] = round(time.perf_counter() - start, 2)


def drop_sensitive_model(kind, sensitive, seed):
    """A model that never sees the sensitive columns: they are dropped first."""
    numeric = make_column_selector(dtype_include="number")
    categorical = make_column_selector(dtype_include=["category", "object", "string"])
    if kind == "logistic":
        encode = [
            ("numeric", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
        ]
        model = LogisticRegression(max_iter=2000)
    else:
        encode = [
            ("numeric", "passthrough", numeric),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                categorical,
            ),
        ]
        model = HistGradientBoostingClassifier(random_state=seed)
    drop = ColumnTransformer(
        [("drop", "drop", sensitive)],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    return make_pipeline(drop, ColumnTransformer(encode), model)


def evaluate(model, X_test, y_test, sensitive, *, ratio=False):
    """Accuracy and fairness figures of a fitted model on the test split.

    With ``ratio``, the demographic-parity ratio is added as ``dp_ratio``.
    """
    y_pred = model.predict(X_test)
    proba = model.predict_proba(X_test)[:, 1]
    groups = X_test[sensitive]
    scores = {
        "accuracy": accuracy_score(y_test, y_pred),
        "balanced_accuracy": balanced_accuracy_score(y_test, y_pred),
        "roc_auc": roc_auc_score(y_test, proba),
        "dp_difference": demographic_parity_difference(
            y_test, y_pred, sensitive_features=groups
        ),
        "eo_difference": equalized_odds_difference(
            y_test, y_pred, sensitive_features=groups
        ),
    }
    if ratio:
        scores["dp_ratio"] = demographic_parity_ratio(
            y_test, y_pred, sensitive_features=groups
        )
    return scores


def versions():
    found = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def write_results(name, rows, notes=(), *, table_rows=None, extra=None, sections=()):
    """Write ``rows`` (a list of dicts) as benchmarks/results/NAME.{json,md}.

    ``table_rows``, when given, are shown in the Markdown table instead of ``rows``
    (formatted figures, for instance); ``extra`` adds keys to the JSON, and
    ``sections`` are Markdown blocks appended after the notes.
    """
    RESULTS.mkdir(exist_ok=True)
    # Results depend on the thread count: it changes the order of float sums, and
    # GAN training amplifies such differences.
    threads = os.environ.get("OMP_NUM_THREADS")
    meta = {
        "command": (f"OMP_NUM_THREADS={threads} " if threads else "")
        + "python "
        + " ".join(sys.argv),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.processor() or platform.system()}",
        "versions": versions(),
    }
    (RESULTS / f"{name}.json").write_text(
        json.dumps(
            {**meta, "notes": list(notes), "rows": rows, **(extra or {})},
            indent=2,
            default=float,
        )
    )
    table = pd.DataFrame(table_rows or rows).to_markdown(index=False, floatfmt=".4g")
    lines = [
        f"# {name}",
        "",
        f"Command: `{meta['command']}`",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        "",
        table,
        "",
        *[f"- {note}" for note in notes],
        "",
        *sections,
    ]
    (RESULTS / f"{name}.md").write_text("\n".join(lines))
    print(table)


def real_joint_sample(sampler, cell_counts, n_rows):
    """Generated rows with the real cell proportions (for fidelity, not fairness)."""
    shares = cell_counts["n_real"] / cell_counts["n_real"].sum()
    parts = []
    for (_, cell), share in zip(cell_counts.iterrows(), shares, strict=True):
        n = int(round(share * n_rows))
        if n:
            group = (
                {sampler.sensitive_[0]: cell["group"]} if sampler.sensitive_ else None
            )
            parts.append(sampler.sample(n, groups=group, y=cell["class"]))
    X = pd.concat([part[0] for part in parts], ignore_index=True)
    y = pd.concat([part[1] for part in parts], ignore_index=True)
    order = np.random.default_rng(0).permutation(len(X))
    return X.iloc[order].reset_index(drop=True), y.iloc[order].reset_index(drop=True)
