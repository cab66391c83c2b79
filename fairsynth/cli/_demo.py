"""``fairsynth demo``: audit, repair and retrain on the bundled Adult data."""

import numpy as np
import pandas as pd

from ._commands import check_device, check_report_dir, say
from ._signals import raise_if_interrupted

ATTRIBUTES = ["sex", "race"]
# Race cells such as (Female, Other, >50K) hold a handful of rows in a subsample, too
# few to learn; the demo repairs the data for sex and measures both attributes.
REPAIRED = "sex"
STRATEGIES = ["parity", "balance"]
QUICK = {"rows": 8_000, "epochs": 5}
# All of Adult's training rows and FairGANSampler's default training.
DEFAULT = {"rows": None, "epochs": "auto"}


def load_data(rows, seed):
    """Load ``rows`` random training rows of Adult (None: all), and its test rows."""
    from ..datasets import load_adult

    X, y = load_adult(subset="train", return_X_y=True)
    if rows is not None and rows < len(X):
        X = X.sample(rows, random_state=seed)
        y = y.loc[X.index]
    X_test, y_test = load_adult(subset="test", return_X_y=True)
    return X.reset_index(drop=True), y.reset_index(drop=True), X_test, y_test


def print_audit(X, y):
    """Step 1: the share of high incomes per group, and the gap between groups."""
    from ..metrics import group_report

    say("\n[1/5] Audit: share of incomes above $50K in the training data")
    for name in ATTRIBUTES:
        report = group_report(y, sensitive_features=X[name])
        table = report["base_rate"].droplevel(0).rename("base rate").round(3)
        table = pd.concat([report["size"].droplevel(0).rename("rows"), table], axis=1)
        say(table.drop(["overall", "ratio"]).to_string())


def train_model(X, y):
    """Fit the model every variant trains: a logistic regression blind to sex and race.

    A linear model shows what resampling does most plainly: it cannot carve out the
    generated rows, so they move its boundary (boosted trees respond less; see the
    Benchmarks pages of the docs).
    """
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = make_column_transformer(
        (
            make_pipeline(SimpleImputer(), StandardScaler()),
            make_column_selector(dtype_include="number"),
        ),
        (
            OneHotEncoder(handle_unknown="ignore"),
            make_column_selector(dtype_exclude="number"),
        ),
    )
    model = make_pipeline(features, LogisticRegression(max_iter=1000))
    return model.fit(X.drop(columns=ATTRIBUTES), y)


def evaluate(model, X_test, y_test):
    """Accuracy and, per attribute, the two fairness differences on the test rows."""
    from ..metrics import demographic_parity_difference, equalized_odds_difference

    pred = model.predict(X_test.drop(columns=ATTRIBUTES))
    scores = {"accuracy": float(np.mean(pred == y_test.to_numpy()))}
    for name in ATTRIBUTES:
        groups = X_test[name]
        scores[f"dp_difference[{name}]"] = demographic_parity_difference(
            y_test, pred, sensitive_features=groups
        )
        scores[f"eo_difference[{name}]"] = equalized_odds_difference(
            y_test, pred, sensitive_features=groups
        )
    return scores, pred


def variants(args):
    """Return the corrections to compare: each strategy, the strengths, then copies.

    Each names every generation parameter it needs, so that one does not inherit
    another's from the shared sampler's ``set_params``.
    """
    generated = {"parity_strength": 1.0, "boundary_focus": "auto", "copy_share": 0.0}
    chosen = {s: {"sampling_strategy": s, **generated} for s in STRATEGIES}
    for strength in args.strength_sweep:
        chosen[f"parity x{strength:g}"] = {
            **chosen["parity"],
            "parity_strength": strength,
        }
    # Copies move a model further per row than generated rows: at the default focus
    # (2) the logistic regression overshot, losing accuracy and fairness together.
    chosen["parity, copies"] = {
        **chosen["parity"],
        "boundary_focus": 1.0,
        "copy_share": 1.0,
    }
    return chosen


def fit_variants(args, X, y):
    """Step 2: train one sampler, then resample with every correction.

    Returns the sampler and ``{name: (X_res, y_res)}``. The corrections only
    change which rows are added, so ``resample`` reuses the trained GAN.
    """
    from ..sampler import FairGANSampler

    sampler = FairGANSampler(
        sensitive=REPAIRED,
        epochs=args.epochs,
        device=args.device,
        random_state=args.seed,
        verbose=0 if args.quiet else 1,
    )
    say(f"\n[2/5] Fitting FairGANSampler ({len(X)} rows)")
    sampler.fit(X, y)
    raise_if_interrupted()
    say(f"Trained {len(sampler.net_.history)} epochs")
    resampled = {}
    for name, params in variants(args).items():
        say(f"Resampling: {name}")
        resampled[name] = sampler.set_params(**params).resample(X, y)
    return sampler, resampled


def compare_models(resampled, data):
    """Train on real and on resampled data and print the scores (steps 3, 4)."""
    X, y, X_test, y_test = data
    say("\n[3/5] Training the same model with and without resampling")
    scores, preds = {}, {}
    training = {"no resampling": (X, y), **resampled}
    for name, (X_train, y_train) in training.items():
        scores[name], preds[name] = evaluate(
            train_model(X_train, y_train), X_test, y_test
        )
    table = pd.DataFrame(scores).T
    say(
        "\n[4/5] Before and after, on Adult's test rows "
        "(dp: demographic parity, eo: equalized odds; lower is fairer)"
    )
    say(table.round(4).to_string())
    return table, preds


def odds_warning(table):
    """Say where resampling worsens an equalized-odds difference, per attribute."""
    sentences = []
    for name in ATTRIBUTES:
        column = table[f"eo_difference[{name}]"]
        worst = column.drop("no resampling").idxmax()
        if column[worst] > column["no resampling"]:
            sentences.append(
                f"On {name}, the equalized-odds difference rises from "
                f"{column['no resampling']:.3f} without resampling to "
                f"{column[worst]:.3f} with {worst}: equal selection rates can "
                "come at the cost of unequal error rates."
            )
    return " ".join(sentences)


def demo_sections(sampler, resampled, data, table, preds, seed):
    """Step 5's content: rates, trade-off, generated data and training."""
    from ..report import (
        Section,
        fidelity_section,
        rates_section,
        tradeoff_figure,
        training_section,
    )

    X, y, X_test, y_test = data
    X_res, y_res = resampled["parity"]
    base = {"real": (y, None, X), "resampled (parity)": (y_res, None, X_res)}
    selection = {
        "no resampling": (y_test, preds["no resampling"], X_test),
        "resampled (parity)": (y_test, preds["parity"], X_test),
    }
    generated = X_res.iloc[len(X) :].assign(income=y_res.iloc[len(X) :].to_numpy())
    return [
        rates_section(
            "Base rates in the training data",
            "base_rates",
            base,
            ATTRIBUTES,
            title="Share of incomes above $50K per group",
            text=f"Resampling adds generated rows for the {REPAIRED} groups.",
        ),
        rates_section(
            "Selection rates of the model",
            "selection_rates",
            selection,
            ATTRIBUTES,
            title="Share predicted above $50K per group (Adult test rows)",
        ),
        Section(
            "Accuracy and fairness",
            "Each point is the same model (a logistic regression that never reads "
            f"{' or '.join(ATTRIBUTES)}) trained on differently resampled data. "
            + odds_warning(table),
            tables={"Test scores": table},
            figures={"tradeoff": tradeoff_figure(table, ATTRIBUTES)},
            captions={
                "tradeoff": "Test accuracy against the demographic-parity (top) "
                "and equalized-odds (bottom) differences, per attribute."
            },
        ),
        fidelity_section(
            X.assign(income=y),
            generated,
            random_state=seed,
            keys=[*ATTRIBUTES, "income"],
        ),
        training_section(sampler.net_.history),
    ]


def demo(args):
    """Run the demo end to end and write its report."""
    from ..report import write_report

    check_device(args.device)
    settings = QUICK if args.quick else DEFAULT
    args.rows = args.rows or settings["rows"]
    args.epochs = args.epochs or settings["epochs"]
    check_report_dir(args.out, force=args.force)
    data = load_data(args.rows, args.seed)
    print_audit(data[0], data[1])
    sampler, resampled = fit_variants(args, data[0], data[1])
    table, preds = compare_models(resampled, data)
    say("\n[5/5] Writing the report")
    sections = demo_sections(sampler, resampled, data, table, preds, args.seed)
    path = write_report(
        args.out,
        "fairsynth demo: UCI Adult",
        sections,
        force=args.force,
        intro=f"{len(data[0])} training rows, {len(sampler.net_.history)} epochs, "
        f"seed {args.seed}. "
        f"FairGANSampler repairs the data for {REPAIRED}.",
    )
    say(f"Wrote the report to {path}")
