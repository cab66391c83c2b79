"""Counterfactual twins: augmentation, the counterfactual audit, and the twins' quality.

Each dataset and sensitive attribute gets one FairGANSampler (default settings).
Group-blind logistic regression and gradient boosting are trained on: real rows
only; real rows plus twins (CounterfactualSampler: each twin method, one or two
twins per row, proximity 0 or 1); generated rows with their twins, as in
latent-space de-biasing (Ramaswamy, Kim and Russakovsky, CVPR 2021); parity
resampling (the same sampler's ``resample``); and the group-blind baselines of
bench_fairness.py (reweighing, CorrelationRemover, ExponentiatedGradient for
demographic parity). Each model is scored on the real test rows: accuracy, DP
difference, DEO (equal opportunity difference), directional bias amplification,
the score divergence between groups, and the counterfactual flip rate and score
change on the test rows' twins (made with their own labels, by each method at
proximity 0: one ruler for every model).

The twins of the training rows are scored for minimality and realism (see
``_twin_quality.py``), and timed.

Run ``python benchmarks/bench_counterfactual.py [--quick] [--datasets adult compas
german] [--device D]``. Writes benchmarks/results/counterfactual[_quick].{json,md}
after each task, so that a run cut short keeps what it finished.
"""

import os
import tempfile
import time
import warnings

import _baselines as base
import numpy as np
import pandas as pd
from _common import drop_sensitive_model, parser, timer, write_results
from _tasks import DATASETS, load_tasks
from _twin_quality import (
    assignment_gap,
    detection_pair,
    distance_ratios,
    latent_distance_ratios,
)
from sklearn.metrics import accuracy_score

from fairsynth import CounterfactualSampler, FairGANSampler
from fairsynth.metrics import (
    counterfactual_flip_rate,
    counterfactual_score_change,
    demographic_parity_difference,
    directional_bias_amplification,
    equal_opportunity_difference,
    score_divergence,
)

MODELS = ("logistic", "gradient_boosting")
METHODS = ("condition", "hyperplane")
# The augmentations: (method, twins_per_row, proximity). One twin per row makes the
# label independent of the group; two give the twins twice the real rows' weight.
# Proximity 1 keeps more of each row, for nearer but less realistic twins.
AUGMENTATIONS = (
    ("condition", 1.0, 0.0),
    ("condition", 2.0, 0.0),
    ("condition", 1.0, 1.0),
    ("condition", 2.0, 1.0),
    ("hyperplane", 1.0, 0.0),
)
# The twins whose quality is measured: (method, proximity).
TWIN_KINDS = (("condition", 0.0), ("condition", 1.0), ("hyperplane", 0.0))
BASELINES = ("reweighing", "correlation_remover", "expgrad_dp")
QUICK_ROWS, QUICK_EPOCHS = 3000, 3


def arguments():
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--datasets", nargs="+", default=list(DATASETS))
    return args.parse_args()


def augmented_sets(task, generator, seed):
    """``(method, X, y, seconds)`` of every training set made with the generator.

    Every CounterfactualSampler clones ``generator``, whose ``memory`` serves the
    network trained once for the task.
    """
    yield "real", task.X, task.y, 0.0
    record = {}
    for method, per_row, proximity in AUGMENTATIONS:
        augmenter = CounterfactualSampler(
            sampler=generator,
            twins_per_row=per_row,
            method=method,
            proximity=proximity,
            random_state=seed,
        )
        with timer(record, "seconds"):
            X_res, y_res = augmenter.fit_resample(task.X, task.y)
        name = f"twins_{method}_k{per_row:g}" + (
            f"_p{proximity:g}" if proximity else ""
        )
        yield name, X_res, y_res, record["seconds"]
    augmenter = CounterfactualSampler(
        sampler=generator, source="generated", random_state=seed
    )
    with timer(record, "seconds"):
        X_res, y_res = augmenter.fit_resample(task.X, task.y)
    yield "generated_pairs_condition", X_res, y_res, record["seconds"]


def baseline_models(task, kind, seed):
    """``(method, estimator, fit_params)`` of the group-blind baselines."""
    model = drop_sensitive_model(kind, [task.attribute], seed)
    weights = base.reweighing_weights(task.X[task.attribute], task.y)
    yield "reweighing", model, {f"{model.steps[-1][0]}__sample_weight": weights}
    yield (
        "correlation_remover",
        base.correlation_removed_model(kind, task.attribute, seed),
        {},
    )
    model = drop_sensitive_model(kind, [task.attribute], seed)
    yield (
        "expgrad_dp",
        base.exponentiated_gradient(model, "dp", task.attribute, seed),
        {},
    )


def scores(model, task, test_twins):
    """Accuracy and fairness of a fitted model on the test rows and their twins."""
    X_test, y_test = task.X_test, task.y_test
    groups = X_test[task.attribute]
    y_pred = model.predict(X_test)
    proba = model.predict_proba(X_test)[:, 1]
    row = {
        "accuracy": accuracy_score(y_test, y_pred),
        "dp_difference": demographic_parity_difference(
            y_test, y_pred, sensitive_features=groups
        ),
        "deo": equal_opportunity_difference(y_test, y_pred, sensitive_features=groups),
        "bias_amplification": directional_bias_amplification(
            y_test, y_pred, sensitive_features=groups
        ),
        "score_kl": score_divergence(proba, sensitive_features=groups),
    }
    for method, twins in test_twins.items():
        row[f"flip_rate_{method}"] = counterfactual_flip_rate(model, X_test, twins)
        row[f"score_change_{method}"] = counterfactual_score_change(
            model, X_test, twins
        )
    return row


def fit_and_score(task, method, kind, model, fit_params, X, y, extra, test_twins):
    row = {
        "dataset": task.dataset,
        "attribute": task.attribute,
        "method": method,
        "model": kind,
        "train_rows": len(X),
        **extra,
    }
    with timer(row, "model_fit_seconds"):
        model.fit(X, y, **fit_params)
    row.update(scores(model, task, test_twins))
    print({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
    return row


def twin_quality(task, sampler, seed):
    """Timing, minimality and realism of the twins of every training row."""
    rows = []
    for method, proximity in TWIN_KINDS:
        record = {
            "dataset": task.dataset,
            "attribute": task.attribute,
            "method": method,
            "proximity": proximity,
        }
        with timer(record, "seconds"):
            twins, twin_y = sampler.counterfactuals(
                task.X, task.y, method=method, proximity=proximity
            )
        record["rows"], record["twins"] = len(task.X), len(twins)
        figures = (task.X, task.y, twins, twin_y, task.attribute, seed)
        ratios = distance_ratios(*figures)
        record["distance_ratio_median"] = float(np.median(ratios))
        record["distance_ratio_share_le_half"] = float(np.mean(ratios <= 0.5))
        latent = latent_distance_ratios(sampler, *figures)
        record["latent_ratio_median"] = float(np.median(latent))
        gap, shares = assignment_gap(task.X, twins, task.X_test, task.attribute, seed)
        record["assignment_gap_points"] = gap
        record["assignment_shares"] = shares
        twin_auc, generated_auc = detection_pair(sampler, *figures)
        record["detection_twins"] = twin_auc
        record["detection_generated"] = generated_auc
        print(record, flush=True)
        rows.append(record)
    return rows


def run_task(task, args, cache):
    """Every training set and model of one task, and its twins' quality."""
    seed = args.seed
    if args.quick:
        X = task.X.sample(min(QUICK_ROWS, len(task.X)), random_state=seed)
        task.X, task.y = X, task.y.loc[X.index]
    generator = FairGANSampler(
        sensitive=task.attribute,
        device=args.device,
        random_state=seed,
        memory=cache,
        **({"epochs": QUICK_EPOCHS} if args.quick else {}),
    )
    fit = {}
    with timer(fit, "seconds"):
        sampler = FairGANSampler(**generator.get_params()).fit(task.X, task.y)
    print(f"{task.dataset}/{task.attribute}: generator fit {fit['seconds']} s")
    quality = twin_quality(task, sampler, seed)
    test_twins = {
        method: sampler.counterfactuals(task.X_test, task.y_test, method=method)[0]
        for method in METHODS
    }
    rows = []
    sets = list(augmented_sets(task, generator, seed))
    sampler.set_params(sampling_strategy="parity")
    with timer(fit, "parity_seconds"):
        sets.append(("parity_resampling", *sampler.resample(task.X, task.y), 0.0))
    for method, X, y, seconds in sets:
        for kind in MODELS:
            model = drop_sensitive_model(kind, [task.attribute], seed)
            extra = {
                "resample_seconds": seconds,
                "generator_fit_seconds": fit["seconds"],
            }
            rows.append(
                fit_and_score(task, method, kind, model, {}, X, y, extra, test_twins)
            )
    for kind in MODELS:
        for method, model, fit_params in baseline_models(task, kind, seed):
            rows.append(
                fit_and_score(
                    task,
                    method,
                    kind,
                    model,
                    fit_params,
                    task.X,
                    task.y,
                    {},
                    test_twins,
                )
            )
    return rows, quality


def dominated(rows):
    """For each twin row, the baselines that dominate it on accuracy and DP."""
    for row in rows:
        if not row["method"].startswith(("twins", "generated_pairs")):
            continue
        row["dominated_by"] = [
            other["method"]
            for other in rows
            if other["method"] in (*BASELINES, "parity_resampling", "real")
            and other["model"] == row["model"]
            and other["dataset"] == row["dataset"]
            and other["attribute"] == row["attribute"]
            and other["accuracy"] >= row["accuracy"]
            and other["dp_difference"] <= row["dp_difference"]
            and (
                other["accuracy"] > row["accuracy"]
                or other["dp_difference"] < row["dp_difference"]
            )
        ]
    return rows


def table(rows):
    """The Markdown table's columns of every row."""
    columns = [
        "dataset",
        "attribute",
        "model",
        "method",
        "accuracy",
        "dp_difference",
        "deo",
        "bias_amplification",
        "score_kl",
        "flip_rate_condition",
        "flip_rate_hyperplane",
        "score_change_condition",
    ]
    return [
        {
            **{c: row[c] for c in columns},
            "dominated_by": ", ".join(row.get("dominated_by", [])),
        }
        for row in rows
    ]


def main():
    args = arguments()
    warnings.filterwarnings("ignore", category=FutureWarning)
    start = time.perf_counter()
    rows, quality, notes = [], [], []
    with tempfile.TemporaryDirectory() as cache:
        for name in args.datasets:
            tasks, skipped = load_tasks(name)
            if skipped:
                print(skipped, flush=True)
                notes.append(skipped)
            for task in tasks:
                task_rows, task_quality = run_task(task, args, cache)
                rows += task_rows
                quality += task_quality
                write(args, dominated(rows), quality, notes, start)


def write(args, rows, quality, notes, start):
    minutes = (time.perf_counter() - start) / 60
    notes = [
        *notes,
        f"Runtime so far: {minutes:.1f} minutes; seed {args.seed}; "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}.",
        "Flip rates and score changes are on the test rows' twins in every other "
        "group, made with each row's true label by the task's sampler "
        "(condition and hyperplane).",
        "dominated_by: the group-blind methods (no mitigation included) with at "
        "least the accuracy and at most the DP difference of that twin setting, "
        "better in one, same model.",
    ]
    quality_table = [
        {k: v for k, v in q.items() if k != "assignment_shares"} for q in quality
    ]
    sections = [
        "## The twins of the training rows",
        "",
        pd.DataFrame(quality_table).to_markdown(index=False, floatfmt=".4g"),
        "",
    ]
    write_results(
        "counterfactual" + ("_quick" if args.quick else ""),
        rows,
        notes,
        table_rows=table(rows),
        extra={"twin_quality": quality},
        sections=sections,
    )


if __name__ == "__main__":
    main()
