"""Models trained on Adult with and without FairGANSampler resampling.

For ``sex`` (2 groups) and ``race`` (5 groups), a logistic regression and a gradient
boosting model are trained on Adult train with no resampling; after
``FairGANSampler(sampling_strategy="parity")`` with its default contrary rows
(``boundary_focus`` 2), with ``boundary_focus=1``, and with typical rows
(``boundary_focus=0``); after ``parity_strength`` 1.5 and 2 (past parity); and after
``"balance"``. The sensitive column is always dropped before the model. Scores are on
Adult test. The settings are a fixed sweep, the trade-off curve a user would tune
along, not values picked on the test split.

Run ``python benchmarks/bench_pipeline.py [--quick] [--device D] [--seeds 0 1 2]``.
Writes benchmarks/results/pipeline.{json,md}: every run, then the mean and standard
deviation over the seeds."""

import pandas as pd
from _common import drop_sensitive_model, evaluate, parser, timer, write_results

from fairsynth import FairGANSampler
from fairsynth.datasets import load_adult

ATTRIBUTES = ("sex", "race")
# (label, FairGANSampler parameters), after training on the real rows only ("none").
RESAMPLINGS = (
    ("parity", {"sampling_strategy": "parity"}),
    ("parity, boundary_focus=1", {"sampling_strategy": "parity", "boundary_focus": 1}),
    ("parity, typical rows", {"sampling_strategy": "parity", "boundary_focus": 0}),
    ("parity x1.5", {"sampling_strategy": "parity", "parity_strength": 1.5}),
    ("parity x2", {"sampling_strategy": "parity", "parity_strength": 2.0}),
    ("balance", {"sampling_strategy": "balance"}),
)
MODELS = ("logistic", "gradient_boosting")
FIGURES = ("accuracy", "balanced_accuracy", "roc_auc", "dp_difference", "eo_difference")


def resampled_sets(X, y, attribute, args, seed):
    """Yield (label, X_train, y_train, seconds) for every resampling.

    The FairGANSampler configurations differ only in which rows are generated, so
    they share one trained GAN through ``resample``. Each one's seconds still
    include that training, as a ``fit_resample`` of its own would.
    """
    yield "none", X, y, 0.0
    sampler = FairGANSampler(
        sensitive=attribute,
        device=args.device,
        random_state=seed,
        **({"epochs": 3} if args.quick else {}),
    )
    defaults = sampler.get_params()
    record = {}
    with timer(record, "fit"):
        sampler.fit(X, y)
    for label, params in RESAMPLINGS:
        sampler.set_params(**{**defaults, **params})
        with timer(record, "resample"):
            X_res, y_res = sampler.resample(X, y)
        yield label, X_res, y_res, round(record["fit"] + record["resample"], 2)


def run(X, y, X_test, y_test, args, seed):
    """Every attribute, resampling and model, for one seed."""
    rows = []
    for attribute in ATTRIBUTES:
        for label, X_train, y_train, seconds in resampled_sets(
            X, y, attribute, args, seed
        ):
            for kind in MODELS:
                row = {
                    "seed": seed,
                    "attribute": attribute,
                    "resampling": label,
                    "model": kind,
                    "train_rows": len(X_train),
                }
                model = drop_sensitive_model(kind, [attribute], seed)
                with timer(row, "model_fit_seconds"):
                    model.fit(X_train, y_train)
                row["resample_fit_seconds"] = seconds
                row.update(evaluate(model, X_test, y_test, attribute))
                print(row, flush=True)
                rows.append(row)
    return rows


def summary(rows):
    """Mean ± standard deviation of every figure over the seeds, per configuration."""
    keys = ["attribute", "resampling", "model"]
    grouped = pd.DataFrame(rows).groupby(keys, sort=False)
    mean, std = grouped[list(FIGURES)].mean(), grouped[list(FIGURES)].std(ddof=1)
    table = mean.map("{:.4f}".format) + " ± " + std.fillna(0).map("{:.4f}".format)
    table["resample_fit_seconds"] = grouped["resample_fit_seconds"].mean().round(1)
    return table.reset_index().to_dict("records")


def main():
    args = parser(__doc__)
    args.add_argument("--seeds", type=int, nargs="+", help="overrides --seed")
    args = args.parse_args()
    X, y = load_adult(subset="train", return_X_y=True)
    X_test, y_test = load_adult(subset="test", return_X_y=True)
    seeds = args.seeds or [args.seed]
    rows = [row for seed in seeds for row in run(X, y, X_test, y_test, args, seed)]
    write_results(
        "pipeline",
        rows,
        [
            "Adult train -> test. The sensitive column is dropped before every model.",
            f"Mean ± standard deviation over seeds {seeds}; the JSON has every run.",
            "resample_fit_seconds is the FairGANSampler fit time plus the resample "
            "time: the configurations of an attribute share one trained GAN, and the "
            "two models of a configuration share its rows (mean over the seeds).",
        ],
        table_rows=summary(rows),
    )


if __name__ == "__main__":
    main()
