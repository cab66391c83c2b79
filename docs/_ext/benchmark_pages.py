"""Write the Benchmarks pages from ``benchmarks/results/`` when the docs are built.

Each ``NAME.json`` that a benchmark script wrote gets a page: a title and a line on
what it measures, then the Markdown table, notes and figures the script wrote beside
it. The overview tables come from the JSON rows. No figure is copied by hand, so a
rerun benchmark updates the docs at the next build.
"""

import json
import re
import shutil
from pathlib import Path

RESULTS = Path(__file__).parents[2] / "benchmarks" / "results"
OUT = Path(__file__).parents[1] / "benchmarks" / "generated"

#: Title and description of each known result file; others get their file name.
PAGES = {
    "fairness": (
        "Against other mitigations: Adult",
        "Accuracy and fairness of two models (a logistic regression and gradient "
        "boosting, both blind to the sensitive column) trained after each mitigation "
        "of ``benchmarks/bench_fairness.py``, on Adult's test split.",
    ),
    "fairness_compas_german": (
        "Against other mitigations: COMPAS and German credit",
        "The same grid as on Adult (``bench_fairness.py --datasets compas german``), "
        "with no setting changed for these tables.",
    ),
    "fairness_quick": (
        "Against other mitigations: quick run",
        "``bench_fairness.py --quick``: one seed, 10,000 training rows and a "
        "short-trained generator; a smoke test of the script, not a result.",
    ),
    "group_blind": (
        "The group-blind limit",
        "``benchmarks/bench_group_blind.py`` estimates how accurate a model can be "
        "under a demographic-parity cap when it never reads the group: the ceiling "
        "of any model trained on resampled data.",
    ),
    "group_blind_quick": (
        "The group-blind limit: quick run",
        "``bench_group_blind.py --quick``: one seed and a shorter search.",
    ),
    "pipeline": (
        "Pipelines",
        "``benchmarks/bench_pipeline.py``: ``FairGANSampler`` settings inside an "
        "imbalanced-learn pipeline, Adult train to test, the sensitive column "
        "dropped before the model.",
    ),
    "sampler": (
        "The sampler: speed and fidelity",
        "``benchmarks/bench_sampler.py``: fit time, sampling speed and the quality "
        "of generated rows (fidelity, detection, train-on-synthetic accuracy), "
        "against CTGAN given the same time.",
    ),
    "sampler_scaling": (
        "The sampler: time per epoch against rows",
        "From ``bench_sampler.py``: one training epoch on 10k to 1M rows (Adult "
        "rows repeated), with the peak memory.",
    ),
    "generators": (
        "The generator against its peers",
        "``benchmarks/bench_generators.py``: fairsynth's generator at its defaults "
        "against CTGAN and TVAE (time-matched), ARF and mostlyai-engine's "
        "TabularARGN (same time cap), all in one run, each scored by SDMetrics, a "
        "boosted-tree detector, train-on-synthetic accuracy, the numeric columns' "
        "tails and privacy.",
    ),
    "generators_adult_seeds12": (
        "The generator against TabularARGN: more seeds",
        "``bench_generators.py --datasets adult --generators fairsynth tabular_argn "
        "--seeds 1 2``: the best peer of the full run, at two more seeds.",
    ),
    "generators_adult_rerun": (
        "The generator against its peers: Adult, rerun",
        "``bench_generators.py --datasets adult``: the run of *The generator "
        "against its peers* on Adult at seed 0, every peer again, on a later "
        "machine and with the sampling code of this release (that run predates "
        "the last sampling speed-ups).",
    ),
    "fair_table": (
        "The fully generated fair table",
        "``benchmarks/bench_fair_table.py``: models trained only on a generated "
        "table (``keep_real=False``, a sweep of ``label_fairness``), on "
        "TabularARGN's table with its fairness option, or on CTGAN's and TVAE's "
        "rows in the fair table's cells, tested on real Adult rows.",
    ),
    "fair_table_sex_race": (
        "The fully generated fair table: sex and race together",
        "``bench_fair_table.py --attributes sex+race --seeds 0 1 2``: the Adult "
        "protocol with both sensitive columns, every intersection of sex and race "
        "a group of its own.",
    ),
    "fair_table_compas": (
        "The fully generated fair table: COMPAS",
        "``bench_fair_table.py --datasets compas``: the Adult protocol on COMPAS "
        "(race and sex, ``bench_fairness.py``'s split), with nothing tuned to it.",
    ),
    "fair_table_german": (
        "The fully generated fair table: German credit",
        "``bench_fair_table.py --datasets german``: the Adult protocol on German "
        "credit (sex and age group, ``bench_fairness.py``'s split), with nothing "
        "tuned to it.",
    ),
    "fair_rule": (
        "The fair table's labelling rule on its own",
        "``benchmarks/bench_fair_rule.py``: the demographic-parity rule that labels "
        "the fully generated table, with the posteriors of a cell classifier "
        "cross-fitted on real rows, applied straight to Adult test: how far a "
        "table labelled by it can go, whatever generated it.",
    ),
    "fairness_adult_only": (
        "ThresholdOptimizer alone and after fairsynth",
        "``bench_fairness.py --datasets adult --only fairgan_parity_s1 threshold_dp "
        "threshold_dp_after_fairgan_parity_s1``: the group-aware front, "
        "ThresholdOptimizer over a model trained on real rows against the same over "
        "a model trained on fairsynth's default resampling, thresholds set on the "
        "real training rows, over three seeds.",
    ),
    "fairness_adult_matched": (
        "Generated rows against copies, setting for setting",
        "``bench_fairness.py --matched --datasets adult``: every setting of the "
        "copies' grid of ``parity_strength`` and ``boundary_focus``, with generated "
        "rows (``copy_share=0``) and with copies of real rows (``copy_share=1``), "
        "over three seeds.",
    ),
    "search": (
        "Tuning that trains once per fold",
        "``benchmarks/bench_search.py``: the tuning page's ``GridSearchCV`` (18 "
        "settings, 3 folds) on Adult with ``memory=``, timed against one default "
        "fit, and the chosen setting on the test rows.",
    ),
    "counterfactual": (
        "Counterfactual twins",
        "``benchmarks/bench_counterfactual.py``: group-blind models trained on real "
        "rows plus counterfactual twins against parity resampling and the "
        "group-blind baselines (accuracy, DP, DEO, bias amplification, score "
        "divergence, flip rates), and the twins' minimality and realism.",
    ),
    "scale": (
        "Streamed and partitioned generation",
        "``benchmarks/bench_scale.py``: Adult rows generated straight to Parquet, "
        "in one process and on a Dask ``LocalCluster``, with each process's peak "
        "memory, and the same dataset from one seed on 1 and on several workers.",
    ),
    "out_of_core": (
        "Training on a dataset larger than memory",
        "``benchmarks/bench_out_of_core.py``: ``fit_parquet`` on Parquet datasets of "
        "1M and 5M Adult-like rows, each fit in a process of its own, with its peak "
        "memory, against ``fit`` of the 1M rows in memory.",
    ),
    "adversarial": (
        "The adversarial classifier",
        "``benchmarks/bench_adversarial.py``: ``AdversarialFairClassifier`` against "
        "fairlearn's ``AdversarialFairnessClassifier`` and an unconstrained network "
        "of the same size, on Adult.",
    ),
}
#: How the method names of bench_fairness.py read.
METHODS = {
    "none": "no mitigation",
    "reweighing": "reweighing",
    "correlation_remover": "CorrelationRemover",
    "expgrad_dp": "ExponentiatedGradient (DP)",
    "expgrad_eo": "ExponentiatedGradient (EO)",
    "threshold_dp": "ThresholdOptimizer (DP)",
    "cell_smote": "cell-wise SMOTE",
    "ctgan_balance": "CTGAN, cells balanced",
    "fairgan_balance": "FairGANSampler, cells balanced",
}
GRID = re.compile(r"fairgan_(parity|copies)_s([\d.]+)(?:_f([\d.]+))?$")
OTHER = re.compile(r"(fairgan_synthetic|adversarial)_([lf])([\d.]+)$")


def method_label(method):
    """Return a readable name for a method of ``bench_fairness.py``."""
    if method in METHODS:
        return METHODS[method]
    if match := GRID.match(method):
        kind, strength, focus = match.groups()
        rows = "copies" if kind == "copies" else "generated rows"
        return f"FairGANSampler, {rows}, strength {strength}, focus {focus or 'auto'}"
    if match := OTHER.match(method):
        kind, knob, weight = match.groups()
        if kind == "adversarial":
            return f"AdversarialFairClassifier, lambdas {weight}"
        knob = "lambda_fair" if knob == "l" else "label_fairness"
        return f"FairGANSampler, fully generated table, {knob} {weight}"
    return method


def result_page(results, name, meta):
    """Return the page of ``NAME.md``, under its title and description in PAGES."""
    title, description = PAGES.get(name, (name, ""))
    body = (results / f"{name}.md").read_text().splitlines()
    if body and body[0].startswith("# "):
        body = body[1:]
    # The tables are wide: the page's right column (its contents) goes.
    front = ["---", "html_theme.sidebar_secondary.remove: true", "---", ""]
    lines = [*front, f"# {title}", "", description, "", f"Machine: {meta['machine']}."]
    return "\n".join([*lines, *body, ""])


def list_table(header, rows):
    """Return the lines of a reST list-table."""
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header, *rows]:
        lines.append(f"   * - {row[0]}")
        lines += [f"     - {cell}" for cell in row[1:]]
    return lines


def overview(name, meta):
    """Return tables of accuracy / DP difference per method, one per data set."""
    rows = [row for row in meta["rows"] if "dp_difference_mean" in row]
    lines = []
    for dataset in dict.fromkeys(row["dataset"] for row in rows):
        subset = [row for row in rows if row["dataset"] == dataset]
        columns = list(dict.fromkeys((r["attribute"], r["model"]) for r in subset))
        cells = {
            (r["method"], r["attribute"], r["model"]): (
                f"{r['accuracy_mean']:.3f} / {r['dp_difference_mean']:.3f}"
            )
            for r in subset
        }
        methods = dict.fromkeys(row["method"] for row in subset)
        table = [
            [method_label(m), *(cells.get((m, *c), "") for c in columns)]
            for m in methods
        ]
        header = ["method", *(f"{a}, {m.replace('_', ' ')}" for a, m in columns)]
        seeds = max(row.get("n_seeds", 1) for row in subset)
        lines += [f"{dataset.capitalize()} (mean of {seeds} seeds, from ``{name}``)"]
        lines += ["", *list_table(header, table), ""]
    return lines


def undominated(meta):
    """Return, per task, the baseline points that no fairsynth point dominates."""
    lines = []
    for task, points in meta.get("dominance", {}).items():
        missed = [p for p in points if not p["by_fairsynth"]]
        names = [
            f"{method_label(p['baseline'].split('/')[0])} with "
            f"{p['baseline'].split('/')[1].replace('_', ' ')}"
            + (" (reads the group)" if p["group_aware"] else "")
            for p in missed
        ]
        lines.append(f"- **{task}**: " + ("; ".join(names) or "none") + ".")
    return lines


def summary(metas):
    """Return the fairness overview: tables, then the undominated baselines."""
    lines = []
    for name, meta in metas.items():
        if name.startswith("fairness") and "--quick" not in meta["command"]:
            lines += overview(name, meta)
    lines += [
        "Baseline points that no fairsynth point dominates (at least as accurate and "
        "as fair, within the seeds' spread):",
        "",
    ]
    for name, meta in metas.items():
        if name.startswith("fairness") and "--quick" not in meta["command"]:
            lines += undominated(meta)
    return "\n".join([*lines, ""])


def build_pages(results, out):
    """Write a page per result file of ``results``, its figures and the summary."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    metas = {}
    for path in sorted(results.glob("*.json")):
        meta = json.loads(path.read_text())
        metas[path.stem] = meta
        (out / f"{path.stem}.md").write_text(result_page(results, path.stem, meta))
    for figure in results.glob("*.png"):
        shutil.copy2(figure, out / figure.name)
    (out / "summary.rst.inc").write_text(summary(metas))


def write_pages(app, config):
    """Write ``docs/benchmarks/generated/`` from ``benchmarks/results/``."""
    build_pages(RESULTS, OUT)


def setup(app):
    """Register the page writer with Sphinx."""
    app.connect("config-inited", write_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
