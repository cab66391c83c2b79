"""fairsynth's generator against CTGAN, TVAE, ARF and TabularARGN, in one run.

On each dataset, FairGANSampler trains at its defaults first; its fit time is the
time cap of the peers that take one (CTGAN and TVAE through their epochs,
TabularARGN through ``max_training_time``); ARF runs at its defaults. Every
generator makes as many rows as the training table, fairsynth's in the real cell
proportions, and every table is scored by the same code: SDMetrics' QualityReport
and LogisticDetection, a boosted-tree detector, train-on-synthetic/test-on-real,
each numeric column's tails and spikes, and privacy (exact copies, and the share of
rows nearer to a training row than to a holdout row). Each fit runs in a process of
its own, which gives its peak memory.

Run ``python benchmarks/bench_generators.py [--quick] [--seeds 0 1 2]
[--datasets adult compas german biased] [--generators ...] [--seconds S]
[--full] [--device D]``. Writes benchmarks/results/generators[_quick].{json,md}
and generators_<dataset>[_quick].png. ``--full`` adds CTGAN and TVAE at their
defaults (300 epochs).
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import _fidelity
import _peers
import numpy as np
import pandas as pd
from _common import RESULTS, parser, write_results
from _tasks import load_tasks
from sklearn.model_selection import train_test_split

from fairsynth.datasets import load_adult, make_biased_classification

DATASETS = ("adult", "compas", "german", "biased")
SENSITIVE = {"adult": "sex", "compas": "race", "german": "sex", "biased": "group"}
GENERATORS = ("fairsynth", "ctgan", "tvae", "arf", "tabular_argn")
TARGET = "label"
QUICK_ROWS = 5000


def load_table(name, quick):
    """Train and test tables (label as a column ``TARGET``), complete rows only."""
    if name == "biased":
        X, y = make_biased_classification(7000, random_state=0)
        X, X_test, y, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    elif name == "adult":
        # The Adult test file keeps its own split, as published results use.
        X, y = load_adult(subset="train", return_X_y=True)
        X_test, y_test = load_adult(subset="test", return_X_y=True)
    else:
        tasks, skipped = load_tasks(name)
        if skipped:
            raise SystemExit(skipped)
        task = next(t for t in tasks if t.attribute == SENSITIVE[name])
        X, y, X_test, y_test = task.X, task.y, task.X_test, task.y_test
    train = X.assign(**{TARGET: y.to_numpy()}).dropna().reset_index(drop=True)
    test = X_test.assign(**{TARGET: y_test.to_numpy()}).dropna()
    if quick and len(train) > QUICK_ROWS:
        train = train.sample(QUICK_ROWS, random_state=0).reset_index(drop=True)
    return train, test.reset_index(drop=True)


def run_worker(spec):
    """In a fresh process: fit one generator, save its rows and its figures."""
    train, _ = load_table(spec["dataset"], spec["quick"])
    runner = _peers.RUNNERS[spec["generator"]]
    synthetic, fit_seconds, sample_seconds, info = runner(
        train,
        TARGET,
        SENSITIVE[spec["dataset"]],
        seconds=spec["seconds"],
        seed=spec["seed"],
        device=spec["device"],
    )
    synthetic.to_pickle(spec["out"] + ".pkl")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(spec["out"] + ".json").write_text(
        json.dumps(
            {
                "fit_seconds": fit_seconds,
                "sample_rows_per_second": _peers.rows_per_second(
                    len(synthetic), sample_seconds
                ),
                "peak_memory_mb": round(peak_mb),
                **info,
            },
            default=float,
        )
    )


def fit_in_process(spec, folder):
    """Run one generator in its own process; return its rows and its figures."""
    spec = {**spec, "out": str(Path(folder) / f"{spec['generator']}")}
    subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(spec)],
        check=True,
        cwd=Path(__file__).parent,
    )
    synthetic = pd.read_pickle(spec["out"] + ".pkl")
    return synthetic, json.loads(Path(spec["out"] + ".json").read_text())


def bench_dataset(name, seed, args):
    """Every generator on one dataset and seed: rows of figures and column shapes."""
    train, test = load_table(name, args.quick)
    rows = [{"generator": "real training rows", **real_reference(train, test, seed)}]
    shapes, tables = {}, {}
    spec = {"dataset": name, "seed": seed, "device": args.device, "quick": args.quick}
    seconds = args.seconds
    with tempfile.TemporaryDirectory() as folder:
        for generator in args.generators:
            capped = generator in ("ctgan", "tvae", "tabular_argn")
            run = {
                **spec,
                "generator": generator,
                "seconds": seconds if capped else None,
            }
            rows.append(score_run(run, folder, train, test, shapes, tables))
            if generator == "fairsynth" and seconds is None:
                seconds = rows[-1]["fit_seconds"]
            if args.full and generator in ("ctgan", "tvae"):
                run = {**run, "seconds": None}
                rows.append(score_run(run, folder, train, test, shapes, tables))
    for row in rows:
        row.update(dataset=name, seed=seed, train_rows=len(train))
    return rows, shapes, tables, train


def score_run(run, folder, train, test, shapes, tables):
    """Fit one generator in its process and score its rows."""
    label = run["generator"] + (" (defaults)" if run["seconds"] is None else "")
    print(f"{run['dataset']} seed {run['seed']}: {label}", flush=True)
    synthetic, info = fit_in_process(run, folder)
    scores, shapes[label] = _fidelity.score(train, test, synthetic, TARGET, run["seed"])
    tables[label] = synthetic
    row = {"generator": label, **info, **scores}
    print({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
    return row


def real_reference(train, test, seed):
    """Real training rows scored against themselves: the best any table can do."""
    half = len(train) // 2
    shuffled = train.sample(frac=1.0, random_state=seed)
    reference = shuffled.iloc[:half]
    scores = {
        **_fidelity.sdmetrics_scores(reference, shuffled.iloc[half:]),
        "detection_auc": _fidelity.detection_auc(
            reference, shuffled.iloc[half:], random_state=seed
        ),
        **_fidelity.tstr(train, test, TARGET, seed),
    }
    return scores


SUMMARY = {
    "sdv_column_shapes": "Column Shapes",
    "sdv_column_pair_trends": "Pair Trends",
    "sdv_logistic_detection": "LogisticDetection",
    "detection_auc": "boosted-tree detection AUC",
    "tstr_gb_accuracy": "TSTR GB accuracy",
    "tstr_gb_roc_auc": "TSTR GB ROC AUC",
    "tstr_lr_accuracy": "TSTR LR accuracy",
    "exact_copy_share": "exact copies",
    "closer_to_training_share": "nearer-to-training share",
    "fit_seconds": "fit s",
    "default_300_epoch_seconds": "300 epochs s (CTGAN/TVAE, est.)",
    "sample_rows_per_second": "rows/s",
    "peak_memory_mb": "peak MB",
}


def summary_tables(rows):
    """Mean (± std over seeds) of each figure, per dataset and generator."""
    frame = pd.DataFrame(rows)
    sections = []
    for dataset, part in frame.groupby("dataset", sort=False):
        grouped = part.groupby("generator", sort=False)[
            [c for c in SUMMARY if c in part]
        ]
        mean, std = grouped.mean(), grouped.std()
        table = mean.map(lambda v: f"{v:.4g}")
        if len(part["seed"].unique()) > 1:
            table = table + std.map(lambda v: "" if np.isnan(v) else f" ± {v:.2g}")
        table = table.rename(columns=SUMMARY)
        sections += [f"## {dataset} ({part['train_rows'].iloc[0]} training rows)", ""]
        sections += [table.to_markdown(), ""]
    return sections


def shape_tables(all_shapes):
    """Per dataset, each numeric column's tails and spikes, real against generated."""
    sections = []
    for dataset, by_generator in all_shapes.items():
        sections += [f"## {dataset}: numeric columns (first seed)", ""]
        frame = pd.concat(
            [pd.DataFrame(rows).assign(generator=g) for g, rows in by_generator.items()]
        )
        sections += [
            frame.set_index(["column", "generator"]).round(4).to_markdown(),
            "",
        ]
    return sections


def marginals_figure(dataset, train, tables, suffix):
    """Real against generated histograms of each numeric column."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    numeric = [c for c in train.select_dtypes("number").columns if c != TARGET]
    if not numeric:
        return
    fig, axes = plt.subplots(
        1, len(numeric), figsize=(3.2 * len(numeric), 3), squeeze=False
    )
    for ax, column in zip(axes[0], numeric, strict=True):
        values = train[column]
        bins = np.unique(np.quantile(values, np.linspace(0, 1, 41)))
        if len(bins) < 3:
            bins = 20
        ax.hist(values, bins=bins, density=True, color="0.8", label="real")
        for label, synthetic in tables.items():
            ax.hist(
                synthetic[column], bins=bins, density=True, histtype="step", label=label
            )
        ax.set_title(column)
        ax.set_yscale("log")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{dataset}: numeric columns, real (grey) against generated")
    fig.tight_layout()
    fig.savefig(RESULTS / f"generators_{dataset}{suffix}.png", dpi=90)
    plt.close(fig)


def arguments():
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--seeds", type=int, nargs="+", help="overrides --seed")
    args.add_argument("--datasets", nargs="+", default=list(DATASETS))
    args.add_argument("--generators", nargs="+", default=list(GENERATORS))
    args.add_argument(
        "--seconds",
        type=float,
        help="time cap of the peers (default: fairsynth's fit time, per dataset)",
    )
    args.add_argument(
        "--full", action="store_true", help="also CTGAN and TVAE at their defaults"
    )
    args.add_argument("--worker", help=argparse.SUPPRESS)
    return args.parse_args()


def main():
    args = arguments()
    if args.worker:
        run_worker(json.loads(args.worker))
        return
    seeds = args.seeds or [args.seed]
    suffix = "_quick" if args.quick else ""
    rows, all_shapes = [], {}
    # Seed-major, with the results rewritten after each table: a run cut short
    # still has every dataset at the first seed.
    for seed in seeds:
        for name in args.datasets:
            dataset_rows, shapes, tables, train = bench_dataset(name, seed, args)
            rows += dataset_rows
            if seed == seeds[0]:
                all_shapes[name] = shapes
                marginals_figure(name, train, tables, suffix)
            write_generators(f"generators{suffix}", rows, all_shapes)


def write_generators(name, rows, all_shapes):
    """Write the figures so far as benchmarks/results/NAME.{json,md}."""
    notes = [
        "Every generator trains on the same training rows (complete rows; Adult: "
        "adult.data, tested on adult.test; COMPAS and German credit: the 70/30 "
        "split of bench_fairness.py; biased: make_biased_classification, 70/30) "
        "and makes as many rows; fairsynth's follow the real (group, label) cells.",
        "CTGAN and TVAE run for as many epochs as fit in fairsynth's fit time "
        "(timed from fits of 1 and 3 epochs, which also estimate their default "
        "300 epochs), TabularARGN with max_training_time "
        "set to it; ARF at its defaults. 'real training rows' scores one half of "
        "the training rows against the other (TSTR: trained on all of them).",
        "LogisticDetection is SDMetrics' (1 best); the boosted-tree detection AUC "
        "is fairsynth.metrics.detection_auc (0.5 best). The nearer-to-training "
        "share is 0.5 for a generator that memorised nothing.",
    ]
    sections = summary_tables(rows) + shape_tables(all_shapes)
    write_results(
        name,
        rows,
        notes,
        table_rows=[
            {k: r.get(k) for k in ("dataset", "seed", "generator", *SUMMARY)}
            for r in rows
        ],
        extra={"numeric_shapes": all_shapes},
        sections=sections,
    )


if __name__ == "__main__":
    main()
