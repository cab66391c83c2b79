"""FairGANSampler on UCI Adult: speed, fidelity, fairness, CTGAN, scaling.

Run ``python benchmarks/bench_sampler.py [--quick] [--scaling-only] [--device D]
[--seed S]``.
Writes benchmarks/results/sampler.{json,md} and sampler_scaling.{json,md}.
"""

import resource
import subprocess
import sys
import time

from _common import (
    drop_sensitive_model,
    evaluate,
    parser,
    real_joint_sample,
    timer,
    write_results,
)
from sklearn.ensemble import HistGradientBoostingClassifier

from fairsynth import FairGANSampler
from fairsynth.datasets import load_adult
from fairsynth.metrics import (
    column_fidelity,
    correlation_similarity,
    detection_auc,
    group_recoverability_auc,
    label_risk_difference,
    tstr_score,
)

SENSITIVE = "sex"


def fidelity(real, synthetic, seed):
    return {
        "column_fidelity": column_fidelity(real, synthetic).mean(),
        "correlation_similarity": correlation_similarity(real, synthetic),
        "detection_auc": detection_auc(real, synthetic, random_state=seed),
    }


def sampling_speed(sampler, n_rows=100_000):
    sampler.sample(1000)  # warm up
    start = time.perf_counter()
    sampler.sample(n_rows)
    return n_rows / (time.perf_counter() - start)


def bench_default_fit(X, y, args):
    """The speed target's fit: FairGANSampler's defaults, real rows kept."""
    row = {"model": "FairGANSampler() (defaults, keep_real=True)"}
    sampler = FairGANSampler(
        sensitive=SENSITIVE,
        device=args.device,
        random_state=args.seed,
        **({"epochs": 3} if args.quick else {}),
    )
    with timer(row, "fit_seconds"):
        sampler.fit(X, y)
    row["epochs"] = sampler.epochs
    row["seconds_per_epoch"] = row["fit_seconds"] / sampler.epochs
    return row


def bench_fairsynth(X, y, X_test, y_test, args, lambda_fair):
    row = {"model": f"FairGANSampler(lambda_fair={lambda_fair})"}
    sampler = FairGANSampler(
        sensitive=SENSITIVE,
        lambda_fair=lambda_fair,
        keep_real=False,
        device=args.device,
        random_state=args.seed,
        **({"epochs": 3} if args.quick else {}),
    )
    with timer(row, "fit_seconds"):
        X_fair, y_fair = sampler.fit_resample(X, y)
    row["epochs"] = sampler.epochs
    row["seconds_per_epoch"] = row["fit_seconds"] / sampler.epochs
    row["sample_rows_per_second"] = round(sampling_speed(sampler))
    X_syn, y_syn = real_joint_sample(sampler, sampler.cell_counts_, len(X))
    row.update(fidelity(X, X_syn, args.seed))
    row["tstr_accuracy"] = tstr_score(
        X_syn, y_syn, X_test, y_test, estimator=HistGradientBoostingClassifier()
    )
    model = drop_sensitive_model("logistic", [SENSITIVE], args.seed).fit(X_fair, y_fair)
    scores = evaluate(model, X_test, y_test, SENSITIVE)
    row.update(
        {
            "fair_label_risk_difference": label_risk_difference(
                y_fair, sensitive_features=X_fair[SENSITIVE]
            ),
            "group_recovery_auc": group_recoverability_auc(
                X_fair.drop(columns=SENSITIVE),
                X_fair[SENSITIVE],
                random_state=args.seed,
            ),
            "fair_table_lr_accuracy": scores["accuracy"],
            "fair_table_lr_dp_difference": scores["dp_difference"],
        }
    )
    return row


def bench_ctgan(X, y, X_test, y_test, budget_seconds, args):
    """CTGAN's time per epoch, then its fidelity after the same wall-clock time."""
    from ctgan import CTGAN

    table = X.assign(income=y.to_numpy())
    discrete = [*X.select_dtypes("category").columns, "income"]
    # A warm-up fit first: CTGAN's first fit in a process is slower, which would
    # shrink the difference below and overstate the epochs the budget allows.
    CTGAN(epochs=1, enable_gpu=args.device != "cpu").fit(table, discrete)
    calibration = {}
    for epochs in (1, 4):
        with timer(calibration, epochs):
            CTGAN(epochs=epochs, enable_gpu=args.device != "cpu").fit(table, discrete)
    # Differencing two fits cancels the preparation (its Bayesian-mixture fits).
    per_epoch = (calibration[4] - calibration[1]) / 3
    prepare = max(calibration[1] - per_epoch, 0.0)
    epochs = max(1, int((budget_seconds - prepare) / per_epoch))
    row = {"model": "CTGAN", "epochs": epochs, "prepare_seconds": prepare}
    model = CTGAN(epochs=epochs, enable_gpu=args.device != "cpu")
    with timer(row, "fit_seconds"):
        model.fit(table, discrete)
    # The long fit measures an epoch better than the calibration did.
    row["seconds_per_epoch"] = (row["fit_seconds"] - prepare) / epochs
    row["default_300_epoch_seconds"] = prepare + 300 * row["seconds_per_epoch"]
    start = time.perf_counter()
    synthetic = model.sample(len(X))
    row["sample_rows_per_second"] = round(len(X) / (time.perf_counter() - start))
    X_syn = synthetic.drop(columns="income").astype(X.dtypes.to_dict())
    row.update(fidelity(X, X_syn, args.seed))
    row["tstr_accuracy"] = tstr_score(
        X_syn,
        synthetic["income"],
        X_test,
        y_test,
        estimator=HistGradientBoostingClassifier(),
    )
    return row


SCALING_SNIPPET = """
import resource, sys, time
from fairsynth import FairGANSampler
from fairsynth.datasets import make_biased_classification
n, device = int(sys.argv[1]), sys.argv[2]
X, y = make_biased_classification(n, random_state=0)
sampler = FairGANSampler(sensitive="group", epochs=1, device=device, random_state=0)
start = time.perf_counter()
sampler.fit(X, y)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


SCALING = [
    "make_biased_classification tables; each a fit with epochs=1 (one likelihood "
    "epoch, then the adversarial epoch), tokenizing included, in a fresh process."
]


def bench_scaling(sizes, device):
    """One epoch per size, each in a fresh process so its peak memory is its own."""
    rows = []
    for n_rows in sizes:
        out = subprocess.run(
            [sys.executable, "-c", SCALING_SNIPPET, str(n_rows), device],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        seconds, peak_kb = float(out[-2]), int(out[-1])
        rows.append(
            {
                "rows": n_rows,
                "seconds_per_epoch": round(seconds, 2),
                "microseconds_per_row": round(seconds / n_rows * 1e6, 1),
                "peak_memory_mb": round(peak_kb / 1024),
            }
        )
        print(rows[-1], flush=True)
    return rows


def main():
    args = parser(__doc__)
    args.add_argument(
        "--scaling-only", action="store_true", help="only the 10k-1M rows scaling"
    )
    args = args.parse_args()
    sizes = (10_000, 100_000) if args.quick else (10_000, 100_000, 1_000_000)
    if args.scaling_only:
        write_results("sampler_scaling", bench_scaling(sizes, args.device), SCALING)
        return
    X, y = load_adult(subset="train", return_X_y=True)
    X_test, y_test = load_adult(subset="test", return_X_y=True)
    rows = [bench_default_fit(X, y, args)]
    rows += [
        bench_fairsynth(X, y, X_test, y_test, args, lam) for lam in (0.0, 1.0, 10.0)
    ]
    for row in rows:
        print(row, flush=True)
    budget = rows[2]["fit_seconds"]
    rows.append(bench_ctgan(X, y, X_test, y_test, budget, args))
    share = rows[0]["fit_seconds"] / rows[-1]["default_300_epoch_seconds"]
    notes = [
        f"Adult train ({len(X)} rows) -> test ({len(X_test)} rows); sensitive column "
        f"'{SENSITIVE}'.",
        "Fidelity, detection and TSTR compare the real train split with generated rows "
        "in the real cell proportions. The fairness columns use the fully generated "
        "fair table (keep_real=False) and a logistic regression that never sees 'sex'.",
        f"CTGAN's epochs were set to fit in the time of the lambda_fair=1 fit "
        f"({budget} s); its fit took {rows[-1]['fit_seconds']} s.",
        f"Speed: the default fit took {share:.1%} of CTGAN's default 300 epochs "
        f"({rows[-1]['default_300_epoch_seconds']:.0f} s, from its time per epoch in "
        "this run).",
    ]
    write_results("sampler", rows, notes)
    write_results("sampler_scaling", bench_scaling(sizes, args.device), SCALING)
    print(
        f"peak memory of this process: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB"
    )


if __name__ == "__main__":
    main()
