"""fairsynth against the bias mitigations a user would pick instead.

Each dataset and sensitive attribute gets a logistic regression and a histogram
gradient boosting model under: no mitigation; reweighing (Kamiran & Calders);
fairlearn's CorrelationRemover, ExponentiatedGradient (demographic parity, and
equalized odds) and ThresholdOptimizer (alone, and over models trained on
fairsynth's default resampling); cell-wise SMOTE; cell-balanced CTGAN data
(time-capped); FairGANSampler with "parity" (a grid of parity_strength and
boundary_focus, with generated rows and with copies of real rows), "balance", and a
fully generated "parity" table (a sweep of label_fairness).
AdversarialFairClassifier is its own network (a sweep of its lambdas). The sensitive
column is never a model feature; fairlearn's mitigators get it only as
``sensitive_features``.

Run ``python benchmarks/bench_fairness.py [--quick] [--seeds 0 1 2] [--device D]
[--datasets adult compas german] [--ctgan-seconds S] [--fairgan-only | --matched |
--only METHOD ...]``. Writes
benchmarks/results/fairness[_DATASETS][_fairgan|_matched|_only][_quick].{json,md},
naming the datasets when only some run, and one accuracy vs demographic-parity plot
per dataset and attribute, with the Pareto front.
"""

import os
import time
import warnings
from dataclasses import dataclass

import _baselines as base
from _common import drop_sensitive_model, evaluate, parser, timer, write_results
from _fairness_report import report
from _tasks import DATASETS, load_tasks
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from fairsynth import AdversarialFairClassifier, FairGANSampler

# fairsynth's default resampling, the one composed with ThresholdOptimizer.
COMPOSED_WITH_THRESHOLDS = "fairgan_parity_s1"
COMPOSED_METHOD = f"threshold_dp_after_{COMPOSED_WITH_THRESHOLDS}"
MODELS = ("logistic", "gradient_boosting")
QUICK_ROWS = 10_000


@dataclass
class Settings:
    """What a run trains: the sizes and budgets that --quick shrinks."""

    seeds: list
    device: str
    gan_epochs: int | None
    # The parity_strength values tried at each boundary_focus ("auto", the default,
    # names no focus): typical rows (0) at the weak strengths, where accuracy
    # matters most; a light focus (0.5, 1) between them and the default, where on
    # Adult's sex it traded accuracy for fairness better than either; more contrary
    # rows (4) at the strong ones, where they moved the DP difference further at the
    # same accuracy.
    parity_grid: dict
    # The same, with copies of real rows (copy_share=1) instead of generated ones.
    # On one GAN per attribute (seed 0), copies moved the DP difference much further
    # per row than generated rows: sex needed strengths below 1.25, race up to 4.
    # Focus 0 is reweighing done by resampling, the reference for the others.
    copy_grid: dict
    # label_fairness of the fully generated table, all from one trained GAN.
    label_fairness: tuple
    # AdversarialFairClassifier's lambdas: it fits in seconds, so the sweep is cheap.
    adversary_lambdas: tuple
    ctgan_seconds: float
    train_rows: int | None
    # Boosting rounds of the gradient boosting inside ExponentiatedGradient, which
    # refits it some 15 times: --quick lowers them from 100 to fit in its budget.
    eg_boosting_rounds: int | None
    # Only FairGANSampler's kept-real settings and the unmitigated reference: the
    # generated rows against copies of real rows, without the baselines.
    fairgan_only: bool
    # The methods to run (besides no mitigation), by name; None runs them all.
    only: tuple | None

    def wants(self, method):
        """Whether ``method`` is to run."""
        return self.only is None or method in self.only

    @classmethod
    def from_args(cls, args):
        """Quick: one seed, 10k Adult rows, 5 GAN epochs, shorter sweeps."""
        seeds = args.seeds or ([args.seed] if args.quick else [0, 1, 2])
        default_cap = 60.0 if args.quick else 600.0
        copy_grid = (
            {1.0: (0.5,)}
            if args.quick
            else {
                0.0: (1.0,),
                0.5: (0.5, 0.75, 1.0),
                1.0: (0.5, 0.75, 1.0, 2.0, 3.0),
                1.5: (1.0,),
                2.0: (0.5, 1.5, 2.0, 3.0, 4.0),
            }
        )
        return cls(
            seeds=seeds,
            device=args.device,
            gan_epochs=5 if args.quick else None,
            parity_grid=copy_grid
            if args.matched
            else {"auto": (1.0, 1.5), 0.0: (0.5,), 4.0: (2.0,)}
            if args.quick
            else {
                "auto": (1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0),
                0.0: (0.1, 0.25, 0.5, 1.0),
                0.5: (1.0, 1.25),
                1.0: (1.0, 1.25),
                4.0: (2.0, 3.0, 4.0, 5.0, 6.0),
            },
            copy_grid=copy_grid,
            label_fairness=()
            if args.fairgan_only or args.matched
            else (1.0,)
            if args.quick
            else (0.0, 0.5, 1.0),
            adversary_lambdas=(10.0, 40.0) if args.quick else (10.0, 20.0, 40.0, 80.0),
            ctgan_seconds=default_cap
            if args.ctgan_seconds is None
            else args.ctgan_seconds,
            train_rows=args.train_rows or (QUICK_ROWS if args.quick else None),
            eg_boosting_rounds=30 if args.quick else None,
            fairgan_only=args.fairgan_only or args.matched,
            only=tuple(args.only) if args.only else None,
        )


def arguments():
    """The common options, plus seeds, datasets and the CTGAN time cap."""
    args = parser(__doc__.splitlines()[0])
    args.add_argument("--seeds", type=int, nargs="+", help="overrides --seed")
    args.add_argument(
        "--train-rows",
        type=int,
        help="subsample the training data (default: all, "
        f"or {QUICK_ROWS} with --quick)",
    )
    args.add_argument("--datasets", nargs="+", default=list(DATASETS))
    args.add_argument(
        "--fairgan-only",
        action="store_true",
        help="only FairGANSampler with real rows kept (generated rows against "
        "copies) and no mitigation; no baselines, no fully generated tables",
    )
    args.add_argument(
        "--matched",
        action="store_true",
        help="--fairgan-only, with generated rows on the copies' grid only: each "
        "copies setting against the same setting with generated rows",
    )
    args.add_argument(
        "--only",
        nargs="+",
        metavar="METHOD",
        help="run only these methods (and no mitigation), named as in the results, "
        "e.g. threshold_dp fairgan_parity_s1 threshold_dp_after_fairgan_parity_s1",
    )
    args.add_argument(
        "--ctgan-seconds",
        type=float,
        help="time cap of each CTGAN fit; 0 leaves CTGAN out (default 60 quick, "
        "600 full)",
    )
    return args.parse_args()


def subsample(X, y, n_rows, seed):
    """At most ``n_rows`` training rows, drawn with the seed."""
    if n_rows is None or len(X) <= n_rows:
        return X, y
    X = X.sample(n_rows, random_state=seed)
    return X, y.loc[X.index]


def fairgan_sets(task, X, y, seed, cfg):
    """FairGANSampler training sets.

    The grids of parity_strength and boundary_focus under "parity", with generated
    rows and with copies of real rows, and "balance", share one trained GAN:
    ``resample`` changes only which rows are generated. Each one's seconds still
    include that training, as a ``fit_resample`` of its own would. The fully
    generated "parity" tables (``keep_real=False``) of the ``label_fairness`` sweep
    share another.
    """
    kept = grid_settings("parity", cfg.parity_grid)
    kept.append(("balance", {"sampling_strategy": "balance"}))
    kept += grid_settings("copies", cfg.copy_grid, copy_share=1.0)
    kept = [(name, params) for name, params in kept if cfg.wants(f"fairgan_{name}")]
    strengths = [
        s for s in cfg.label_fairness if cfg.wants(f"fairgan_synthetic_f{s:g}")
    ]
    sampler = FairGANSampler(
        sensitive=task.attribute,
        device=cfg.device,
        random_state=seed,
        **({"epochs": cfg.gan_epochs} if cfg.gan_epochs else {}),
    )
    defaults = sampler.get_params()
    train = kept and timed(task, "the kept-real configurations", sampler.fit, X, y)
    for name, params in kept if train else []:
        sampler.set_params(**{**defaults, **params})
        resampled = timed(task, name, sampler.resample, X, y)
        if resampled:
            (X_res, y_res), seconds = resampled
            yield f"fairgan_{name}", X_res, y_res, train[1] + seconds, {}
    if not strengths:
        return
    synthetic = FairGANSampler(**{**defaults, "keep_real": False})
    train = timed(task, "the fully generated tables", synthetic.fit, X, y)
    for strength in strengths if train else []:
        synthetic.set_params(label_fairness=strength)
        resampled = timed(task, f"synthetic_f{strength:g}", synthetic.resample, X, y)
        if resampled:
            (X_res, y_res), seconds = resampled
            yield (
                f"fairgan_synthetic_f{strength:g}",
                X_res,
                y_res,
                train[1] + seconds,
                {},
            )


def grid_settings(prefix, grid, **fixed):
    """``(name, params)`` for every strength of every focus of ``grid``.

    The name carries the strength and the focus, which "auto" (the default) leaves
    out; ``fixed`` parameters are added to every setting.
    """
    return [
        (
            f"{prefix}_s{s:g}" + ("" if focus == "auto" else f"_f{focus:g}"),
            {"parity_strength": s, "boundary_focus": focus, **fixed},
        )
        for focus, strengths in grid.items()
        for s in strengths
    ]


def timed(task, name, step, X, y):
    """``(step(X, y), seconds)``, or None when FairGANSampler refuses the data.

    A cell too small to learn (a subsample of a rare group), or a strength that
    would empty one, is reported, not fatal: the rest still counts.
    """
    record = {}
    try:
        with timer(record, "seconds"):
            result = step(X, y)
    except ValueError as exc:
        print(f"FairGANSampler {name} skipped on {task.attribute}: {exc}")
        return None
    return result, record["seconds"]


def training_sets(task, X, y, seed, cfg, ctgan):
    """``(method, X, y, seconds, info)`` for every method that changes the data."""
    yield "none", X, y, 0.0, {}
    if cfg.fairgan_only:
        yield from fairgan_sets(task, X, y, seed, cfg)
        return
    record = {}
    if cfg.wants("cell_smote"):
        with timer(record, "seconds"):
            X_res, y_res = base.cell_smote(X, y, task.attribute, seed)
        yield "cell_smote", X_res, y_res, record["seconds"], {}
    if ctgan is not None:
        model, epochs, fit_seconds = ctgan
        with timer(record, "seconds"):
            X_res, y_res, short = base.ctgan_balance(model, X, y, task.attribute)
        info = {"ctgan_epochs": epochs, "ctgan_shortfall": short}
        yield "ctgan_balance", X_res, y_res, fit_seconds + record["seconds"], info
    yield from fairgan_sets(task, X, y, seed, cfg)


def model_methods(task, X, y, seed, cfg):
    """``(method, builder)``: mitigations that change the model, not the data.

    A builder takes the model kind and returns ``(estimator, fit_params)``.
    """
    attr = task.attribute

    def plain(kind):
        return drop_sensitive_model(kind, [attr], seed)

    def reduction(kind, constraint):
        model = plain(kind)
        if kind != "logistic" and cfg.eg_boosting_rounds:
            model.set_params(
                histgradientboostingclassifier__max_iter=cfg.eg_boosting_rounds
            )
        return base.exponentiated_gradient(model, constraint, attr, seed), {}

    def reweighed(kind):
        model = plain(kind)
        weights = base.reweighing_weights(X[attr], y)
        return model, {f"{model.steps[-1][0]}__sample_weight": weights}

    methods = [
        ("reweighing", reweighed),
        (
            "correlation_remover",
            lambda k: (base.correlation_removed_model(k, attr, seed), {}),
        ),
        ("expgrad_dp", lambda k: reduction(k, "dp")),
        ("expgrad_eo", lambda k: reduction(k, "eo")),
        (
            "threshold_dp",
            lambda k: (base.threshold_optimizer(plain(k), attr, seed), {}),
        ),
    ]
    return [(name, build) for name, build in methods if cfg.wants(name)]


def score(task, method, kind, model, fit_params, X, y, extra):
    """Fit one model and return its row of figures."""
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
    row.setdefault("resample_seconds", 0.0)
    row["fit_seconds"] = row["resample_seconds"] + row["model_fit_seconds"]
    row.update(evaluate(model, task.X_test, task.y_test, task.attribute, ratio=True))
    print(
        {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()},
        flush=True,
    )
    return row


def thresholds_after_resampling(task, X, y, X_res, y_res, seed, extra):
    """ThresholdOptimizer over models trained on fairsynth's resampled rows.

    The group-aware composition: each model is trained on the resampled table, and
    its group thresholds are then set on the real training rows, as
    ThresholdOptimizer alone sets them over a model trained on those rows.
    """
    rows = []
    for kind in MODELS:
        trained = drop_sensitive_model(kind, [task.attribute], seed).fit(X_res, y_res)
        model = base.threshold_optimizer(trained, task.attribute, seed, prefit=True)
        rows.append(score(task, COMPOSED_METHOD, kind, model, {}, X, y, extra))
    return rows


def adversarial(task, seed, cfg, lambdas):
    """AdversarialFairClassifier; it takes no NaN, so categories gain "missing"."""
    return make_pipeline(
        FunctionTransformer(base.fill_missing),
        AdversarialFairClassifier(
            sensitive=task.attribute,
            lambdas=lambdas,
            device=cfg.device,
            random_state=seed,
        ),
    )


def run_seed(task, seed, cfg, ctgan):
    """Every method and model on one task, for one seed."""
    X, y = subsample(task.X, task.y, cfg.train_rows, seed)
    common = {"seed": seed}
    rows = []
    for method, X_tr, y_tr, seconds, info in training_sets(
        task, X, y, seed, cfg, ctgan
    ):
        extra = {**common, **info, "resample_seconds": seconds}
        for kind in MODELS:
            model = drop_sensitive_model(kind, [task.attribute], seed)
            rows.append(score(task, method, kind, model, {}, X_tr, y_tr, extra))
        composed = not cfg.fairgan_only and cfg.wants(COMPOSED_METHOD)
        if method == COMPOSED_WITH_THRESHOLDS and composed:
            rows += thresholds_after_resampling(task, X, y, X_tr, y_tr, seed, extra)
    if cfg.fairgan_only:
        return rows
    for method, build in model_methods(task, X, y, seed, cfg):
        for kind in MODELS:
            model, fit_params = build(kind)
            rows.append(score(task, method, kind, model, fit_params, X, y, common))
    for lam in cfg.adversary_lambdas:
        method = f"adversarial_l{lam:g}"
        if not cfg.wants(method):
            continue
        model = adversarial(task, seed, cfg, lam)
        rows.append(score(task, method, "adversarial_nn", model, {}, X, y, common))
    return rows


def fit_shared_ctgan(tasks, seed, cfg):
    """One CTGAN per dataset and seed, shared by its attributes (it models them all)."""
    if not cfg.ctgan_seconds or not tasks:
        return None
    X, y = subsample(tasks[0].X, tasks[0].y, cfg.train_rows, seed)
    start = time.perf_counter()
    model, epochs = base.fit_ctgan(X, y, cfg.ctgan_seconds, seed)
    return model, epochs, round(time.perf_counter() - start, 2)


def main():
    args = arguments()
    cfg = Settings.from_args(args)
    warnings.filterwarnings("ignore", category=FutureWarning)
    start = time.perf_counter()
    rows, notes = [], []
    for name in args.datasets:
        tasks, skipped = load_tasks(name)
        if skipped:
            print(skipped, flush=True)
            notes.append(skipped)
        for seed in cfg.seeds:
            ctgan = (
                fit_shared_ctgan(tasks, seed, cfg)
                if not cfg.fairgan_only and cfg.wants("ctgan_balance")
                else None
            )
            for task in tasks:
                rows.extend(run_seed(task, seed, cfg, ctgan))
    minutes = (time.perf_counter() - start) / 60
    quick = "_quick" if args.quick else ""
    # A run on some of the datasets writes tables of its own, beside the full ones;
    # the plots are named by dataset already.
    all_datasets = set(args.datasets) == set(DATASETS)
    subset = "" if all_datasets else "_" + "_".join(args.datasets)
    # A run of FairGANSampler alone names its tables and plots apart from the full
    # run's, which it would otherwise overwrite.
    part = (
        "_matched"
        if args.matched
        else "_fairgan"
        if cfg.fairgan_only
        else "_only"
        if cfg.only
        else ""
    )
    subset += part
    table, extra, sections = report(rows, cfg, part + quick)
    notes += [
        f"Total runtime: {minutes:.1f} minutes on this machine.",
        f"Seeds {cfg.seeds}; training rows "
        f"{cfg.train_rows or 'all'}; FairGANSampler epochs "
        f"{cfg.gan_epochs or 'default (auto)'}; CTGAN cap {cfg.ctgan_seconds:g} s; "
        "gradient boosting rounds inside ExponentiatedGradient "
        f"{cfg.eg_boosting_rounds or 'default (100)'}.",
        # Runtimes depend on this; the command line does not show it.
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}.",
    ]
    write_results(
        f"fairness{subset}{quick}",
        extra.pop("summary_rows"),
        notes,
        table_rows=table,
        extra={**extra, "raw_rows": rows},
        sections=sections,
    )


if __name__ == "__main__":
    main()
