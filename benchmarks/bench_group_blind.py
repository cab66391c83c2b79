"""How accurate a demographic-parity model can be that never reads the group.

A model trained on resampled data predicts from the features alone. The most
accurate such classifier under demographic-parity constraints thresholds
``eta(x) + sum_a mu_a * p_a(x)``, with ``eta`` the probability of the positive class
and ``p_a`` that of group ``a`` given the features: the Lagrangian of the
constraints has that form (Menon & Williamson, 2018, derive it for two groups). This
script estimates ``eta`` and ``p_a`` with gradient boosting cross-fitted on the
training rows, tunes ``mu`` there under caps on the DP difference, and scores each
result once on the test rows: an estimate of the best that any model trained on
resampled data can do. ThresholdOptimizer on the same gradient boosting reads the
group when it predicts, so that limit does not bind it; it is scored alongside.

Run ``python benchmarks/bench_group_blind.py [--quick] [--seeds 0 1 2]``. Writes
benchmarks/results/group_blind[_quick].{json,md}.
"""

import numpy as np
import pandas as pd
from _baselines import threshold_optimizer
from _common import drop_sensitive_model, evaluate, parser, write_results
from _fairness_report import fmt
from sklearn.model_selection import cross_val_predict

from fairsynth.datasets import load_adult
from fairsynth.metrics import demographic_parity_difference

ATTRIBUTES = ("sex", "race")
CAPS = (0.01, 0.02, 0.04, 0.06, 0.08, 0.1)
FOLDS = 5


def probabilities(X, target, X_test, attribute, seed):
    """Cross-fitted probabilities of ``target`` on ``X``, fitted ones on ``X_test``.

    The model never sees ``attribute``, even when ``target`` is that column.
    """
    model = drop_sensitive_model("gradient_boosting", [attribute], seed)
    train = cross_val_predict(model, X, target, cv=FOLDS, method="predict_proba")
    return train, model.fit(X, target).predict_proba(X_test)


def predict(mu, eta, group_proba):
    """The plug-in classifier: 1 where ``eta + group_proba @ mu`` exceeds 1/2."""
    return (eta + group_proba @ mu > 0.5).astype(int)


def tune_weights(eta, group_proba, y, groups, cap, rng, steps):
    """The ``mu`` of highest training accuracy whose training DP difference <= cap.

    A random search over several scales finds the region; small steps from the best
    point then refine it. Returns None when no tried ``mu`` meets the cap.
    """
    best, best_accuracy = None, -1.0
    for step in range(steps):
        if best is None or step < steps // 3:
            mu = rng.normal(0.0, rng.choice([0.1, 0.3, 1.0]), group_proba.shape[1])
        else:
            mu = best + rng.normal(0.0, rng.choice([0.003, 0.01, 0.03, 0.1]), len(best))
        pred = predict(mu, eta, group_proba)
        accuracy = np.mean(pred == y)
        if accuracy > best_accuracy and (
            demographic_parity_difference(y, pred, sensitive_features=groups) <= cap
        ):
            best, best_accuracy = mu, accuracy
    return best


def attribute_rows(attribute, seed, data, steps):
    """Rows of the plug-in classifier at every cap, and of ThresholdOptimizer."""
    X, y, X_test, y_test = data
    groups, groups_test = X[attribute].astype(str), X_test[attribute].astype(str)
    eta, eta_test = (p[:, 1] for p in probabilities(X, y, X_test, attribute, seed))
    proba, proba_test = probabilities(X, groups, X_test, attribute, seed)
    rng = np.random.default_rng(seed)
    rows = []
    for cap in CAPS:
        mu = tune_weights(eta, proba, y.to_numpy(), groups, cap, rng, steps)
        if mu is None:
            print(f"{attribute}: no plug-in weights meet the DP cap {cap}")
            continue
        pred = predict(mu, eta_test, proba_test)
        rows.append(
            {
                "attribute": attribute,
                "method": f"group_blind_cap{cap:g}",
                "seed": seed,
                "accuracy": np.mean(pred == y_test.to_numpy()),
                "dp_difference": demographic_parity_difference(
                    y_test, pred, sensitive_features=groups_test
                ),
            }
        )
    model = threshold_optimizer(
        drop_sensitive_model("gradient_boosting", [attribute], seed), attribute, seed
    ).fit(X, y)
    scores = evaluate(model, X_test, y_test, attribute)
    rows.append(
        {
            "attribute": attribute,
            "method": "threshold_dp",
            "seed": seed,
            "accuracy": scores["accuracy"],
            "dp_difference": scores["dp_difference"],
        }
    )
    for row in rows:
        print({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
    return rows


def summary(rows):
    """Mean ± standard deviation over seeds of every attribute and method."""
    grouped = pd.DataFrame(rows).groupby(["attribute", "method"], sort=False)
    mean, std = grouped.mean(), grouped.std().fillna(0.0)
    return [
        {
            "attribute": key[0],
            "method": key[1],
            "seeds": int(n_seeds),
            **{
                metric: fmt(mean.loc[key, metric], std.loc[key, metric])
                for metric in ("accuracy", "dp_difference")
            },
        }
        for key, n_seeds in grouped.size().items()
    ]


def main():
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--seeds", type=int, nargs="+", help="overrides --seed")
    args = args.parse_args()
    seeds = args.seeds or ([args.seed] if args.quick else [0, 1, 2])
    steps = 600 if args.quick else 3000
    X, y = load_adult(subset="train", return_X_y=True)
    X_test, y_test = load_adult(subset="test", return_X_y=True)
    rows = [
        row
        for seed in seeds
        for attribute in ATTRIBUTES
        for row in attribute_rows(attribute, seed, (X, y, X_test, y_test), steps)
    ]
    notes = [
        f"Adult train -> test; seeds {seeds}; {steps} search steps per cap.",
        "group_blind_capC: the plug-in classifier whose weights are tuned on the "
        "training rows under a training DP difference of at most C; its test DP "
        "difference can exceed C.",
    ]
    write_results(
        "group_blind" + ("_quick" if args.quick else ""),
        rows,
        notes,
        table_rows=summary(rows),
    )


if __name__ == "__main__":
    main()
