"""Models trained on Adult with and without FairGANSampler resampling.

For ``sex`` (2 groups) and ``race`` (5 groups), a logistic regression and a gradient
boosting model are trained on Adult train with no resampling; after
``FairGANSampler(sampling_strategy="parity")`` with its default contrary rows
(``boundary_focus`` 2), with ``boundary_focus=1``, and with typical rows
(``boundary_focus=0``); after ``parity_strength`` 1.5 and 2 (past parity); and after
``"balance"``. The sensitive column is always dropped before the model. Scores are on
Adult test. The settings are a fixed sweep, the trade-off curve a user would tune
along, not values picked on the test split.

"parity, tuned" is the setting a user would pick along that curve without the test
split: a GAN trained on 80 % of Adult train resamples it at every ``TUNING_GRID``
setting, a logistic regression trained on each result is scored on the other 20 %,
and the setting with the lowest demographic-parity difference among those within
``ACCURACY_BUDGET`` of the unmitigated model's accuracy wins. The full-train GAN then
resamples at that setting.

Run ``python benchmarks/bench_pipeline.py [--quick] [--device D] [--seeds 0 1 2]``.
Writes benchmarks/results/pipeline.{json,md}: every run, then the mean and standard
deviation over the seeds."""

import pandas as pd
from _common import drop_sensitive_model, evaluate, parser, timer, write_results
from sklearn.model_selection import train_test_split

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
# (parity_strength, boundary_focus) settings that "parity, tuned" chooses from.
TUNING_GRID = tuple((s, f) for s in (1.0, 1.5, 2.0, 3.0, 4.0, 5.0) for f in (2.0, 4.0))
# Validation accuracy the tuned setting may give up: the 2 points of issue #3's target.
ACCURACY_BUDGET = 0.02
TUNED = "parity, tuned"
MODELS = ("logistic", "gradient_boosting")
FIGURES = ("accuracy", "balanced_accuracy", "roc_auc", "dp_difference", "eo_difference")


def make_sampler(attribute, args, seed):
    """The FairGANSampler every configuration starts from, with default settings."""
    return FairGANSampler(
        sensitive=attribute,
        device=args.device,
        random_state=seed,
        **({"epochs": 3} if args.quick else {}),
    )


def resampled_sets(X, y, attribute, args, seed):
    """Yield (label, X_train, y_train, seconds, sampler settings) for every resampling.

    The FairGANSampler configurations differ only in which rows are generated, so
    they share one trained GAN through ``resample``. Each one's seconds still
    include that training, as a ``fit_resample`` of its own would, and the tuned
    one's include its tuning.
    """
    yield "none", X, y, 0.0, {}
    record = {}
    with timer(record, "tuning"):
        tuned = tuned_parity(X, y, attribute, args, seed)
    sampler = make_sampler(attribute, args, seed)
    defaults = sampler.get_params()
    with timer(record, "fit"):
        sampler.fit(X, y)
    for label, params in (*RESAMPLINGS, (TUNED, tuned)):
        sampler.set_params(**{**defaults, **params})
        with timer(record, "resample"):
            X_res, y_res = sampler.resample(X, y)
        seconds = record["fit"] + record["resample"]
        seconds += record["tuning"] if label == TUNED else 0.0
        yield label, X_res, y_res, round(seconds, 2), params


def tuned_parity(X, y, attribute, args, seed):
    """The parity settings from ``TUNING_GRID`` picked on a validation split of ``X``.

    Returns the FairGANSampler parameters with the lowest validation
    demographic-parity difference of a logistic regression, among those that keep
    its validation accuracy within ``ACCURACY_BUDGET`` of the unmitigated one's.
    """
    cells = X[attribute].astype(str) + "|" + y.astype(str)
    X_fit, X_val, y_fit, y_val = train_test_split(
        X, y, test_size=0.2, stratify=cells, random_state=seed
    )
    unmitigated = drop_sensitive_model("logistic", [attribute], seed).fit(X_fit, y_fit)
    floor = evaluate(unmitigated, X_val, y_val, attribute)["accuracy"] - ACCURACY_BUDGET
    sampler = make_sampler(attribute, args, seed).fit(X_fit, y_fit)
    scored = []
    for strength, focus in TUNING_GRID:
        sampler.set_params(
            sampling_strategy="parity", parity_strength=strength, boundary_focus=focus
        )
        try:
            X_res, y_res = sampler.resample(X_fit, y_fit)
        except ValueError:  # past the strength at which a group loses a class
            continue
        model = drop_sensitive_model("logistic", [attribute], seed).fit(X_res, y_res)
        scored.append(((strength, focus), evaluate(model, X_val, y_val, attribute)))
    strength, focus = pick_setting(scored, floor)
    return {
        "sampling_strategy": "parity",
        "parity_strength": strength,
        "boundary_focus": focus,
    }


def pick_setting(scored, floor):
    """The setting of the lowest DP difference among those at least ``floor`` accurate.

    ``scored`` holds ``(setting, scores)`` pairs. Parity's defaults are the choice
    when no setting keeps the accuracy.
    """
    kept = [
        (scores["dp_difference"], setting)
        for setting, scores in scored
        if scores["accuracy"] >= floor
    ]
    return min(kept, default=(0.0, (1.0, "auto")))[1]


def run(X, y, X_test, y_test, args, seed):
    """Every attribute, resampling and model, for one seed."""
    rows = []
    for attribute in ATTRIBUTES:
        for label, X_train, y_train, seconds, params in resampled_sets(
            X, y, attribute, args, seed
        ):
            for kind in MODELS:
                row = {
                    "seed": seed,
                    "attribute": attribute,
                    "resampling": label,
                    "model": kind,
                    "train_rows": len(X_train),
                    "sampler_params": params,
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
    chosen = "; ".join(
        f"{row['attribute']}, seed {row['seed']}: parity_strength "
        f"{row['sampler_params']['parity_strength']}, boundary_focus "
        f"{row['sampler_params']['boundary_focus']}"
        for row in rows
        if row["resampling"] == TUNED and row["model"] == "logistic"
    )
    write_results(
        "pipeline",
        rows,
        [
            "Adult train -> test. The sensitive column is dropped before every model.",
            f"Mean ± standard deviation over seeds {seeds}; the JSON has every run.",
            "resample_fit_seconds is the FairGANSampler fit time plus the resample "
            "time: the configurations of an attribute share one trained GAN, and the "
            "two models of a configuration share its rows (mean over the seeds).",
            f"'{TUNED}' chose (on validation rows, see the module docstring): "
            f"{chosen}. Its seconds include the tuning.",
        ],
        table_rows=summary(rows),
    )


if __name__ == "__main__":
    main()
