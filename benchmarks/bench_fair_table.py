"""Fully generated fair tables: models trained on them, tested on real rows.

For each sensitive attribute (on Adult ``sex``, ``race`` and their intersection
``sex+race``; on COMPAS and German credit those of ``bench_fairness.py``, on its
split) and seed, ``FairGANSampler(keep_real=False)`` trains once on the training
rows and generates a table at each ``label_fairness`` of the sweep (with
``resample``). mostlyai-engine's TabularARGN, capped at fairsynth's fit time and
run in a process of its own, generates a table with its fairness option on the
same attribute (the anchor); CTGAN and TVAE, time-matched too, fill the fair
table's cells (balanced cells); the sampler's rows in the real cells' sizes (the
unconstrained table) are scored too. A logistic regression and a gradient boosting
model that never see the sensitive columns are trained on each table only, and
scored on the real test rows: accuracy, demographic-parity difference. Each table's
label risk difference across groups is reported, and its boosted-tree detection
AUC against the real training rows.

Run ``python benchmarks/bench_fair_table.py [--quick] [--seeds 0 1 2]
[--datasets adult compas german] [--attributes sex race sex+race]
[--peers ctgan tvae] [--no-argn] [--device D]``. Writes
benchmarks/results/fair_table[_compas][_german][_quick].{json,md}; the results are
rewritten after each attribute and seed.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _peers
import pandas as pd
from _common import drop_sensitive_model, evaluate, parser, write_results
from _tasks import load_tasks

from fairsynth import FairGANSampler
from fairsynth.datasets import load_adult
from fairsynth.metrics import detection_auc, label_risk_difference

TARGET = "income"
STRENGTHS = (0.0, 0.5, 0.75, 1.0)
MODELS = ("logistic", "gradient_boosting")
PEER_NAMES = {"ctgan": "CTGAN", "tvae": "TVAE"}
QUICK_ROWS = 5000


def load(dataset, attribute, quick):
    """Train and test rows; COMPAS and German credit as bench_fairness splits them."""
    if dataset != "adult":
        tasks, skipped = load_tasks(dataset)
        if skipped:
            raise SystemExit(skipped)
        task = next(task for task in tasks if task.attribute == attribute)
        X, y = task.X.reset_index(drop=True), task.y.reset_index(drop=True)
        return X, y, task.X_test, task.y_test
    X, y = load_adult(subset="train", return_X_y=True)
    X_test, y_test = load_adult(subset="test", return_X_y=True)
    if quick:
        X, y = (
            X.sample(QUICK_ROWS, random_state=0),
            y.sample(QUICK_ROWS, random_state=0),
        )
    return X.reset_index(drop=True), y.reset_index(drop=True), X_test, y_test


def argn_worker(spec):
    """In a fresh process: TabularARGN with its fairness option; pickle its table."""
    X, y, _, _ = load(spec["dataset"], spec["attribute"], spec["quick"])
    train = X.assign(**{TARGET: y.to_numpy()})
    synthetic, *_ = _peers.tabular_argn(
        train,
        TARGET,
        spec["sensitive"],
        seconds=spec["seconds"],
        seed=spec["seed"],
        device=spec["device"],
        fairness=True,
    )
    synthetic.to_pickle(spec["out"])


def argn_table(dataset, attribute, seconds, seed, args):
    with tempfile.TemporaryDirectory() as folder:
        spec = {
            "dataset": dataset,
            "attribute": attribute,
            "sensitive": attribute.split("+"),
            "seconds": seconds,
            "seed": seed,
            "device": args.device,
            "quick": args.quick,
            "out": str(Path(folder) / "argn.pkl"),
        }
        subprocess.run(
            [sys.executable, __file__, "--argn-worker", json.dumps(spec)],
            check=True,
            cwd=Path(__file__).parent,
        )
        table = pd.read_pickle(spec["out"])
    return table.drop(columns=TARGET), table[TARGET].astype(int)


def score_table(name, X_gen, y_gen, data, sensitive, seed):
    """Rows of figures of the models trained on one generated table."""
    X, y, X_test, y_test = data
    common = {
        "table": name,
        "label_risk_difference": label_risk_difference(
            y_gen, sensitive_features=X_gen[sensitive]
        ),
        "detection_auc": detection_auc(
            X.assign(label=y.to_numpy()),
            X_gen.assign(label=y_gen.to_numpy()),
            random_state=seed,
        ),
    }
    rows = []
    for kind in MODELS:
        model = drop_sensitive_model(kind, sensitive, seed).fit(X_gen, y_gen)
        scores = evaluate(model, X_test, y_test, sensitive)
        rows.append({**common, "model": kind, **scores})
        print(
            {k: round(v, 4) if isinstance(v, float) else v for k, v in rows[-1].items()}
        )
    return rows


def group_keys(sampler, sensitive):
    """Each row of ``cell_counts_``'s group as a tuple of sensitive values."""
    groups = sampler.cell_counts_["group"]
    return groups if len(sensitive) > 1 else groups.map(lambda g: (g,))


def peer_table(name, sampler, sensitive, data, seconds, seed, args):
    """CTGAN or TVAE, time-matched, sampled into the fair table's cells.

    Each cell gets as many rows as in fairsynth's fair table (``n_total``), so
    every group has the same share of positives (the balanced-cells anchor).
    """
    X, y = data[:2]
    cells = sampler.cell_counts_
    index = pd.MultiIndex.from_tuples(
        [
            (*map(str, key), str(label))
            for key, label in zip(
                group_keys(sampler, sensitive), cells["class"], strict=True
            )
        ],
        names=[*sensitive, TARGET],
    )
    table, _, short = _peers.cells_table(
        name,
        X.assign(**{TARGET: y.to_numpy()}),
        TARGET,
        pd.Series(cells["n_total"].to_numpy(), index=index),
        seconds=seconds,
        seed=seed,
        device=args.device,
    )
    return table.drop(columns=TARGET), table[TARGET].astype(int), short


def real_cells_table(sampler, sensitive):
    """The sampler's rows in the real cells' sizes: the unconstrained table."""
    cells = sampler.cell_counts_
    keys = group_keys(sampler, sensitive)
    parts = [
        sampler.sample(
            int(n_real), groups=dict(zip(sensitive, key, strict=True)), y=label
        )
        for key, label, n_real in zip(
            keys, cells["class"], cells["n_real"], strict=True
        )
    ]
    X_gen = pd.concat([part[0] for part in parts], ignore_index=True)
    return X_gen, pd.concat([part[1] for part in parts], ignore_index=True)


def bench(dataset, attribute, seed, args):
    data = load(dataset, attribute, args.quick)
    X, y = data[:2]
    sensitive = attribute.split("+")
    sampler = FairGANSampler(
        sensitive=sensitive if len(sensitive) > 1 else sensitive[0],
        keep_real=False,
        random_state=seed,
        device=args.device,
        **({"epochs": 2} if args.quick else {}),
    )
    start = time.perf_counter()
    sampler.fit(X, y)
    fit_seconds = time.perf_counter() - start
    rows = []
    X_gen, y_gen = real_cells_table(sampler, sensitive)
    rows += score_table("fairsynth, real cells", X_gen, y_gen, data, sensitive, seed)
    for strength in STRENGTHS:
        start = time.perf_counter()
        X_gen, y_gen = sampler.set_params(label_fairness=strength).resample(X, y)
        generate = time.perf_counter() - start
        name = f"fairsynth, label_fairness {strength:g}"
        for row in score_table(name, X_gen, y_gen, data, sensitive, seed):
            rows.append(
                {**row, "fit_seconds": fit_seconds, "generate_seconds": generate}
            )
    for name in args.peers:
        X_gen, y_gen, short = peer_table(
            name, sampler, sensitive, data, fit_seconds, seed, args
        )
        table = f"{PEER_NAMES[name]}, balanced cells"
        peer = {"fit_seconds": fit_seconds, "rows_short": short}
        if y_gen.nunique() < 2 or (X_gen[sensitive].nunique() < 2).any():
            # A peer that generated no row of a class or a group: nothing to train
            # or compare; the row says so.
            rows += [{"table": table, "model": kind, **peer} for kind in MODELS]
            continue
        for row in score_table(table, X_gen, y_gen, data, sensitive, seed):
            rows.append({**row, **peer})
    if not args.no_argn:
        X_gen, y_gen = argn_table(dataset, attribute, fit_seconds, seed, args)
        for row in score_table(
            "TabularARGN, fairness", X_gen, y_gen, data, sensitive, seed
        ):
            rows.append({**row, "fit_seconds": fit_seconds})
    for kind in MODELS:
        model = drop_sensitive_model(kind, sensitive, seed).fit(X, y)
        rows.append(
            {
                "table": "real rows",
                "model": kind,
                **evaluate(model, *data[2:], sensitive),
            }
        )
    return [
        {"dataset": dataset, "attribute": attribute, "seed": seed, **row}
        for row in rows
    ]


def summary(rows):
    frame = pd.DataFrame(rows)
    figures = ["accuracy", "dp_difference", "label_risk_difference", "detection_auc"]
    keys = ["dataset", "attribute", "table", "model"]
    grouped = frame.groupby(keys, sort=False)[figures]
    mean, std = grouped.mean(), grouped.std()
    table = mean.map(lambda v: f"{v:.4f}") + std.map(
        lambda v: "" if pd.isna(v) else f" ± {v:.4f}"
    )
    return ["## Mean ± std over seeds", "", table.to_markdown(), ""]


def main():
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--seeds", type=int, nargs="+")
    args.add_argument(
        "--datasets",
        nargs="+",
        default=["adult"],
        choices=["adult", "compas", "german"],
        help="COMPAS and German credit run on bench_fairness's attributes and split",
    )
    args.add_argument(
        "--attributes",
        nargs="+",
        default=["sex", "race", "sex+race"],
        help="Adult's sensitive attributes (+ joins an intersection)",
    )
    args.add_argument("--no-argn", action="store_true", help="skip TabularARGN")
    args.add_argument(
        "--peers",
        nargs="*",
        choices=list(PEER_NAMES),
        default=list(PEER_NAMES),
        help="time-matched peers sampled into the fair cells (default: all)",
    )
    args.add_argument("--argn-worker", help=argparse.SUPPRESS)
    args = args.parse_args()
    if args.argn_worker:
        argn_worker(json.loads(args.argn_worker))
        return
    runs = [
        (dataset, attribute)
        for dataset in args.datasets
        for attribute in (
            args.attributes
            if dataset == "adult"
            else [task.attribute for task in load_tasks(dataset)[0]]
        )
    ]
    # A run without Adult names its tables apart from Adult's.
    name = "fair_table" + "".join(f"_{d}" for d in args.datasets if d != "adult")
    rows = []
    for seed in args.seeds or [args.seed]:
        for dataset, attribute in runs:
            rows += bench(dataset, attribute, seed, args)
            write_results(
                name + ("_quick" if args.quick else ""),
                rows,
                [
                    "Models never see the sensitive columns and train on the "
                    "generated table only; scores on real test rows (Adult's test "
                    "split; 30 % of COMPAS and German credit, as bench_fairness "
                    "splits them).",
                    "TabularARGN: max_training_time = fairsynth's fit time, "
                    "FairnessConfig on the same sensitive columns.",
                    "CTGAN and TVAE: epochs set to fairsynth's fit time; rows drawn "
                    "from each model and kept into the fair table's cells "
                    "(rejection), so every group has the same share of positives.",
                ],
                table_rows=[
                    {
                        k: r.get(k)
                        for k in (
                            "dataset",
                            "attribute",
                            "seed",
                            "table",
                            "model",
                            "accuracy",
                            "dp_difference",
                            "label_risk_difference",
                            "detection_auc",
                            "rows_short",
                        )
                    }
                    for r in rows
                ],
                sections=summary(rows),
            )


if __name__ == "__main__":
    main()
