"""Adversarial debiasing on UCI Adult (train -> test) with race and sex.

Compares, in one run and with networks of the same size (32-32-32 ReLU):

* an unconstrained network (``AdversarialFairClassifier(sensitive=None)``, the same
  schedule without the adversary; race and sex are ordinary features);
* fairlearn's ``AdversarialFairnessClassifier`` (PyTorch backend, a benchmark-only
  dependency) at several ``alpha``;
* fairsynth's ``AdversarialFairClassifier`` with an adversary on race and sex.

Like the reference (Tonk, "Towards fairness in ML with adversarial networks",
2019), race is binarised as White / Non-white before training, and sex is
Male / Female. The five-group race column is kept aside and also scored.

The lambdas of fairsynth's classifier are chosen on a validation split carved
from the training data, never on the test split: the most accurate pair of a
small grid whose validation p%-rules are both at least 85 (and, as a second,
fairer operating point, at least 90).

Run from the repository root::

    python benchmarks/bench_adversarial.py [--quick] [--seed 0] [--device auto]

Writes benchmarks/results/adversarial.{json,md}.
"""

import time

import numpy as np
import pandas as pd
import torch
from _common import parser, write_results
from sklearn.compose import ColumnTransformer
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from fairsynth.adversarial import AdversarialFairClassifier
from fairsynth.datasets import load_adult
from fairsynth.metrics import (
    demographic_parity_difference,
    equalized_odds_difference,
    p_percent_rule,
)

SENSITIVE = ["race", "sex"]
TARGET = 80.0
# Selection asks for more than the target: across seeds, the validation p%-rules
# of one configuration moved by about 3 points either way.
# The first level is the headline configuration; the second is a fairer
# operating point, also chosen on validation, for the comparison with fairlearn.
SELECT_AT = (85.0, 90.0)
LAMBDA_GRID = [{"race": r, "sex": s} for r in (10, 20, 40, 80) for s in (5, 10, 20, 40)]
QUICK_GRID = [{"race": r, "sex": s} for r in (20, 40) for s in (10, 20)]
FAIRLEARN_ALPHAS = (1.0, 2.0, 3.0, 10.0)
COLUMNS = [
    "model",
    "fit_seconds",
    "accuracy",
    "roc_auc",
    "selection_rate",
    "p_percent_race_white_vs_other",
    "p_percent_sex",
    "p_percent_race",
    "dp_difference_race_white_vs_other",
    "dp_difference_sex",
    "eo_difference_race_white_vs_other",
    "eo_difference_sex",
]


def load(subset):
    """Adult with race binarised and missing categories filled.

    Returns X, y and the five-group race column, which only scoring uses.
    """
    X, y = load_adult(subset=subset, return_X_y=True)
    for column in X.columns[X.isna().any()]:
        X[column] = X[column].cat.add_categories("Missing").fillna("Missing")
    race = X["race"].astype(str)
    X["race"] = pd.Categorical(np.where(race == "White", "White", "Non-white"))
    return X, y.to_numpy(), race.to_numpy()


def schedule(quick):
    if quick:
        return {"n_iterations": 200, "adversary_pretrain_epochs": 2}
    return {}


def ours(args, lambdas=None):
    return AdversarialFairClassifier(
        sensitive=SENSITIVE if lambdas else None,
        lambdas=lambdas or 0.0,
        device=args.device,
        random_state=args.seed,
        **schedule(args.quick),
    )


class FairlearnModel:
    """fairlearn's classifier on one-hot features, sensitive columns passed aside.

    fairlearn's adversary takes one sensitive target only (two categorical columns
    are "multiclass-multioutput", which it rejects), so it gets the race x sex
    intersection (4 groups) with a softmax adversary.
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


def evaluate(model, X, y, race5):
    y_pred = model.predict(X)
    groups = {"race": race5, "race_white_vs_other": X["race"], "sex": X["sex"]}
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


def validation_grid(args, train):
    """Score the lambda grid on a validation quarter of the training data."""
    X, y, race5 = train
    split = train_test_split(
        X, y, race5, test_size=0.25, stratify=y, random_state=args.seed
    )
    X_fit, X_val, y_fit, y_val, _, race5_val = split
    rows = []
    for lambdas in QUICK_GRID if args.quick else LAMBDA_GRID:
        model = ours(args, lambdas).fit(X_fit, y_fit)
        scores = evaluate(model, X_val, y_val, race5_val)
        rows.append({"race": lambdas["race"], "sex": lambdas["sex"], **scores})
        print("validation", rows[-1], flush=True)
    return pd.DataFrame(rows)


def choose(grid, level):
    """The most accurate lambdas whose validation p%-rules are both >= level."""
    worst = _smaller_p_percent(grid)
    fair = grid[worst >= level]
    # When no pair reaches the level, take the fairest one.
    best = (
        fair.loc[fair["accuracy"].idxmax()] if len(fair) else grid.loc[worst.idxmax()]
    )
    return {"race": float(best["race"]), "sex": float(best["sex"])}


def _smaller_p_percent(scores):
    return np.minimum(scores["p_percent_race_white_vs_other"], scores["p_percent_sex"])


def run(name, model, train, test):
    (X_train, y_train, _), (X_test, y_test, race5_test) = train, test
    start = time.perf_counter()
    model.fit(X_train, y_train)
    row = {"model": name, "fit_seconds": round(time.perf_counter() - start, 1)}
    row.update(evaluate(model, X_test, y_test, race5_test))
    if isinstance(model, AdversarialFairClassifier) and model.groups_:
        row["train_adversary_auc"] = _rounded(model.adversary_auc_)
        row["train_p_percent"] = _rounded(model.p_percent_rule_)
    print(row, flush=True)
    return row


def _rounded(scores):
    return {key: round(value, 3) for key, value in scores.items()}


def targets(unconstrained, fairlearn_rows, fair_rows):
    """Lines on the targets of issue #5, with the numbers behind them.

    The first two targets are read on the first fairsynth row. Against each
    fairlearn run, a fairsynth row "dominates" when its smaller p%-rule is at
    least as high and its accuracy higher, and "is dominated" the other way round.
    """
    fair = fair_rows[0]
    p_race = fair["p_percent_race_white_vs_other"]
    p_sex = fair["p_percent_sex"]
    gap = 100 * (unconstrained["accuracy"] - fair["accuracy"])
    lines = [
        f"p%-rule >= {TARGET:g} for race (white vs non-white) and sex: "
        f"{_met(min(p_race, p_sex) >= TARGET)} ({p_race:.1f} and {p_sex:.1f}).",
        f"Accuracy within 3 points of the unconstrained network: "
        f"{_met(gap <= 3)} ({gap:.2f} points below).",
    ]
    for row in fair_rows:
        verdicts = [
            f"{other['model']}: {_versus(row, other)}" for other in fairlearn_rows
        ]
        slowest = max(other["fit_seconds"] for other in fairlearn_rows)
        fastest = min(other["fit_seconds"] for other in fairlearn_rows)
        lines.append(
            f"{row['model']} (accuracy {row['accuracy']:.4f}, smaller p%-rule "
            f"{_smaller_p_percent(row):.1f}, {row['fit_seconds']} s) against "
            + "; ".join(verdicts)
            + f". Fit faster than every fairlearn run ({fastest}-{slowest} s): "
            f"{'yes' if row['fit_seconds'] < fastest else 'no'}."
        )
    return lines


def _versus(row, other):
    if other["selection_rate"] == 0:
        return "predicts no positive at all, p%-rules undefined"
    fairer = _smaller_p_percent(row) >= _smaller_p_percent(other)
    less_fair = _smaller_p_percent(row) <= _smaller_p_percent(other)
    figures = f"{other['accuracy']:.4f}, {_smaller_p_percent(other):.1f}"
    if fairer and row["accuracy"] > other["accuracy"]:
        return f"dominates ({figures})"
    if less_fair and row["accuracy"] < other["accuracy"]:
        return f"is dominated ({figures})"
    return f"trade-off ({figures})"


def _met(flag):
    return "met" if flag else "MISSED"


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()
    train, test = load("train"), load("test")
    grid = validation_grid(args, train)
    alphas = FAIRLEARN_ALPHAS[::3] if args.quick else FAIRLEARN_ALPHAS
    unconstrained = run("unconstrained (same network)", ours(args), train, test)
    fairlearn_rows = [
        run(f"fairlearn alpha={alpha:g}", FairlearnModel(args, alpha), train, test)
        for alpha in alphas
    ]
    chosen = []
    for level in SELECT_AT:
        if (lambdas := choose(grid, level)) not in chosen:
            chosen.append(lambdas)
    fair_rows = [
        run(f"fairsynth lambdas={lambdas}", ours(args, lambdas), train, test)
        for lambdas in chosen
    ]
    rows = [unconstrained, *fairlearn_rows, *fair_rows]
    notes = [
        "Adult train (32,561 rows) -> test (16,281 rows); missing categories are a "
        "'Missing' category. Race is binarised as White / Non-white for training "
        "and for the target; p_percent_race is the five-group p%-rule (min/max "
        "selection rate over the five races), reported but not a target. The "
        "reference (Tonk) keeps only the White and Black rows, an easier setting.",
        f"fairsynth's lambdas were selected on a stratified validation quarter of "
        f"the training data (seed {args.seed}): the most accurate pair of the grid "
        f"whose validation p%-rules (race white vs non-white, sex) are both >= "
        f"{SELECT_AT[0]:g} (first fairsynth row, the headline) or, if that gives "
        f"other lambdas, >= {SELECT_AT[1]:g} (second row). The test split played "
        "no part; the grid is below.",
        "All networks are 32-32-32 ReLU. The unconstrained network has race and "
        "sex among its features. fairlearn's adversary sees the 4-group race x sex "
        "intersection; it trains 10 epochs of batch 128.",
        f"CPU, {torch.get_num_threads()} torch thread(s); fit_seconds include "
        "encoding and are one run each, so differences of a few tenths of a "
        "second are within timing noise. One seed: on validation, the p%-rules "
        "of one configuration moved by about 3 points from seed to seed.",
        "The five-group p%-rule stays low for every model: training on white vs "
        "non-white does not equalise the small groups (Amer-Indian-Eskimo, "
        "Other: a few hundred rows each) among themselves.",
        *[
            f"{row['model']}: the adversary's ROC AUC on the training data "
            f"{row['train_adversary_auc']} (0.5 is chance), p%-rule there "
            f"{row['train_p_percent']}."
            for row in fair_rows
        ],
        "Targets of issue #5 on the test split:",
        *[f"  {line}" for line in targets(unconstrained, fairlearn_rows, fair_rows)],
    ]
    write_results(
        "adversarial",
        rows,
        notes,
        table_rows=[{column: row[column] for column in COLUMNS} for row in rows],
        extra={"selected_lambdas": chosen, "validation_grid": grid.to_dict("records")},
        sections=_grid_section(grid),
    )


def _grid_section(grid):
    columns = ["race", "sex", "accuracy", "selection_rate"]
    columns += ["p_percent_race_white_vs_other", "p_percent_sex", "p_percent_race"]
    table = grid[columns].to_markdown(index=False, floatfmt=".4g")
    return ["## Lambda selection on the validation split", "", table, ""]


if __name__ == "__main__":
    main()
