"""How far the fair table's labelling rule can go on Adult, with no generator at all.

The fully generated table (``keep_real=False``) labels its rows with the
demographic-parity Bayes classifier: ``P(positive | x) - 0.5 + s * mu @ P(group |
x) > 0`` (``fairsynth.sampler._fair_labels``). Here the posteriors come from a
classifier of the ``(group, class)`` cell trained on real rows, ``mu`` is fitted on
its cross-fitted (out-of-fold) posteriors of the training rows, so that they look
like those of new rows, and the rule is applied straight to Adult test. It bounds
what a model trained on any generated table labelled by this rule can reach, and
shows how much of the test split's DP difference is noise in small groups.

Run ``python benchmarks/bench_fair_rule.py [--attributes sex race sex+race]``.
Writes benchmarks/results/fair_rule.{json,md}.
"""

import numpy as np
import pandas as pd
from _common import parser, write_results
from fairlearn.metrics import demographic_parity_difference
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

from fairsynth.datasets import load_adult
from fairsynth.sampler import _fair_labels as fair_labels
from fairsynth.sampler._boundary import SparseTabularEncoder

STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25)


def cell_model(kind, seed):
    """A classifier of the cell from the non-sensitive columns."""
    if kind == "logistic":
        return make_pipeline(SparseTabularEncoder(), LogisticRegression(max_iter=1000))
    codes = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
    )
    encode = make_column_transformer(
        (codes, make_column_selector(dtype_exclude="number")), remainder="passthrough"
    )
    return make_pipeline(
        encode, HistGradientBoostingClassifier(early_stopping=True, random_state=seed)
    )


def group_names(X, sensitive):
    """Each row's group: its values of the sensitive columns, joined."""
    return X[sensitive].astype(str).agg("|".join, axis=1).to_numpy()


def bench(attribute, seed):
    sensitive = attribute.split("+")
    X, y = load_adult(subset="train", return_X_y=True)
    X_test, y_test = load_adult(subset="test", return_X_y=True)
    y, y_test = y.to_numpy(), y_test.to_numpy()
    names, groups = np.unique(group_names(X, sensitive), return_inverse=True)
    test_groups = group_names(X_test, sensitive)
    features, test_features = X.drop(columns=sensitive), X_test.drop(columns=sensitive)
    cells = groups * 2 + y
    rows = []
    for kind in ("logistic", "gradient_boosting"):
        folds = StratifiedKFold(5, shuffle=True, random_state=seed)
        held_out = cross_val_predict(
            cell_model(kind, seed), features, cells, cv=folds, method="predict_proba"
        )
        test = cell_model(kind, seed).fit(features, cells).predict_proba(test_features)
        positive, group = fair_labels.positive_and_group(held_out, len(names))
        mu = fair_labels.group_offsets(positive, group, groups, y.mean())
        test_positive, test_group = fair_labels.positive_and_group(test, len(names))
        for strength in STRENGTHS:
            chosen = test_positive - 0.5 + strength * test_group @ mu > 0
            rates = pd.Series(chosen).groupby(test_groups).mean()
            rows.append(
                {
                    "attribute": attribute,
                    "posteriors": kind,
                    "label_fairness": strength,
                    "accuracy": float(np.mean(chosen == y_test)),
                    "dp_difference": demographic_parity_difference(
                        y_test, chosen, sensitive_features=test_groups
                    ),
                    "lowest_rate": f"{rates.idxmin()} {rates.min():.3f}",
                    "highest_rate": f"{rates.idxmax()} {rates.max():.3f}",
                }
            )
            print(rows[-1], flush=True)
    return rows


def main():
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--attributes", nargs="+", default=["sex", "race", "sex+race"])
    args = args.parse_args()
    rows = [row for attribute in args.attributes for row in bench(attribute, args.seed)]
    write_results(
        "fair_rule",
        rows,
        [
            "The rule applied to Adult test rows directly: no generator, no "
            "downstream model. Posteriors from a classifier of the (group, class) "
            "cell; mu fitted on its 5-fold out-of-fold posteriors of the training "
            "rows.",
            "The sensitive columns are never features.",
        ],
    )


if __name__ == "__main__":
    main()
