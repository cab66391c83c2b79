"""Tables, Pareto fronts, dominance checks and plots of bench_fairness.py."""

from itertools import cycle

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import RESULTS  # noqa: E402

KEYS = ["dataset", "attribute", "method", "model"]
METRICS = [
    "accuracy",
    "balanced_accuracy",
    "roc_auc",
    "dp_difference",
    "dp_ratio",
    "eo_difference",
    "fit_seconds",
]
# The two mitigations fairsynth must strictly dominate.
STRICT = ("reweighing", "cell_smote")
# Mitigations that read the sensitive column at prediction time (a threshold per
# group; the group's share subtracted from every feature): a model trained on
# resampled data never sees it, so these face a limit no resampler can lift.
GROUP_AWARE = ("threshold_dp", "correlation_remover")
# ThresholdOptimizer over a model trained on fairsynth's rows: group-aware too.
COMPOSED_PREFIX = "threshold_dp_after_"
MARKERS = {"logistic": "o", "gradient_boosting": "s", "adversarial_nn": "D"}
SHORT_MODELS = {"logistic": "LR", "gradient_boosting": "GB", "adversarial_nn": "NN"}


def is_fairsynth(method):
    """Whether a method is one of fairsynth's."""
    return method.startswith(("fairgan_", "adversarial_"))


def aggregate(rows):
    """Mean and spread (standard deviation, 0 with one seed) over seeds per point."""
    frame = pd.DataFrame(rows)
    grouped = frame.groupby(KEYS, sort=False)[METRICS]
    summary = grouped.mean().add_suffix("_mean")
    spread = grouped.std(ddof=1).fillna(0.0).add_suffix("_std")
    summary = summary.join(spread).join(grouped.size().rename("n_seeds"))
    return summary.reset_index()


def pareto_mask(points):
    """Points that no other point beats on accuracy (higher) and DP (lower)."""
    acc = points["accuracy_mean"].to_numpy()
    dp = points["dp_difference_mean"].to_numpy()
    weakly = (acc[None, :] >= acc[:, None]) & (dp[None, :] <= dp[:, None])
    strictly = (acc[None, :] > acc[:, None]) | (dp[None, :] < dp[:, None])
    return ~(weakly & strictly).any(axis=1)


def dominates(a, b, *, strict=False):
    """Whether point ``a`` dominates ``b``.

    Not strict: ``a`` is as accurate and as fair within the seeds' spread
    (``acc_a >= acc_b - s`` and ``dp_a <= dp_b + s``, s the larger of the two
    points' standard deviations). Strict: better on both means.
    """
    if strict:
        return bool(
            a["accuracy_mean"] > b["accuracy_mean"]
            and a["dp_difference_mean"] < b["dp_difference_mean"]
        )
    tol_acc = max(a["accuracy_std"], b["accuracy_std"])
    tol_dp = max(a["dp_difference_std"], b["dp_difference_std"])
    return bool(
        a["accuracy_mean"] >= b["accuracy_mean"] - tol_acc
        and a["dp_difference_mean"] <= b["dp_difference_mean"] + tol_dp
    )


def label(point):
    """``method/model``, the name of a point."""
    return f"{point['method']}/{point['model']}"


def figures(point):
    """Accuracy and DP difference of a point, for the summary."""
    return (
        f"acc {point['accuracy_mean']:.4f}±{point['accuracy_std']:.4f}, "
        f"DP {point['dp_difference_mean']:.4f}±{point['dp_difference_std']:.4f}"
    )


def dominance(points):
    """For every baseline point, the fairsynth points that dominate it.

    Returns one dict per baseline point, with the dominating FairGANSampler
    points, the dominating points of any fairsynth method, and (for reweighing
    and cell SMOTE) the strictly dominating ones.
    """
    ours = [p for _, p in points.iterrows() if is_fairsynth(p["method"])]
    found = []
    for _, point in points.iterrows():
        if is_fairsynth(point["method"]):
            continue
        by = [label(p) for p in ours if dominates(p, point)]
        entry = {
            "baseline": label(point),
            "figures": figures(point),
            "by_fairgan": [name for name in by if name.startswith("fairgan_")],
            "by_fairsynth": by,
            "group_aware": point["method"] in GROUP_AWARE
            or point["method"].startswith(COMPOSED_PREFIX),
        }
        if point["method"] in STRICT:
            entry["strictly_by"] = [
                label(p) for p in ours if dominates(p, point, strict=True)
            ]
        found.append(entry)
    return found


def copies_unreached(points):
    """The copies' points (copy_share=1) that no generated-rows point dominates.

    Generated rows are compared with copies for the same downstream model only.
    """
    copies = points[points["method"].str.startswith("fairgan_copies_")]
    generated = points[points["method"].str.startswith("fairgan_parity_")]
    return [
        copy
        for _, copy in copies.iterrows()
        if not any(
            dominates(p, copy)
            for _, p in generated[generated["model"] == copy["model"]].iterrows()
        )
    ]


def thresholds_verdicts(points):
    """Which wins, per model: ThresholdOptimizer alone or after fairsynth's rows.

    One wins when it is as accurate and as fair as the other within the seeds'
    spread and the other is not as good as it.
    """
    composed = points[points["method"].str.startswith(COMPOSED_PREFIX)]
    alone = points[points["method"] == "threshold_dp"].set_index("model")
    lines = []
    for _, after in composed.iterrows():
        if after["model"] not in alone.index:
            continue
        before = alone.loc[after["model"]]
        verdict = {
            (True, True): "the same within the seeds' spread",
            (True, False): "after fairsynth wins",
            (False, True): "alone wins",
            (False, False): "neither is better on both",
        }[dominates(after, before), dominates(before, after)]
        lines.append(
            f"- {after['model']}: alone {figures(before)}; after fairsynth "
            f"{figures(after)}: {verdict}"
        )
    return lines


def method_colours(methods):
    """A colour per method: tab10's for the baselines, a gradient for fairsynth's.

    fairsynth's sweeps have more settings than a qualitative map has colours; spread
    over a gradient, they leave tab10's distinct colours to the baselines.
    """
    ours = [m for m in methods if is_fairsynth(m)]
    colours = dict(
        zip(
            [m for m in methods if not is_fairsynth(m)],
            cycle(plt.get_cmap("tab10").colors),
        )
    )
    gradient = plt.get_cmap("viridis")(np.linspace(0, 0.95, len(ours)))
    return colours | dict(zip(ours, gradient, strict=True))


def plot(points, front, title, path):
    """Accuracy vs demographic-parity difference: all points, and the front close up.

    Weak settings (a fully generated table, say) stretch the axes so far that the
    front's points crowd into a corner; the right panel zooms in on the front.
    """
    fig, (whole, close) = plt.subplots(
        1, 2, figsize=(18, 7), gridspec_kw={"width_ratios": [1, 1.6]}
    )
    methods = list(dict.fromkeys(points["method"]))
    colours = method_colours(methods)
    edge = points[front].sort_values("dp_difference_mean")
    for ax in (whole, close):
        _draw(ax, points, edge, colours)
    close.set_xlim(-0.005, edge["dp_difference_mean"].max() + 0.02)
    close.set_ylim(
        edge["accuracy_mean"].min() - 0.006, edge["accuracy_mean"].max() + 0.004
    )
    right = close.get_xlim()[1] * 0.7
    # Staggered so that the labels of close points on the front do not overlap, and
    # put left of the points near the right edge, so that they stay inside the axes.
    for i, (_, p) in enumerate(edge.iterrows()):
        left = p["dp_difference_mean"] > right
        close.annotate(
            f"{p['method'].removeprefix('fairgan_')} {SHORT_MODELS[p['model']]}",
            (p["dp_difference_mean"], p["accuracy_mean"]),
            textcoords="offset points",
            xytext=(-6 if left else 6, (4, -12, 14)[i % 3]),
            ha="right" if left else "left",
            fontsize=7,
        )
    whole.set_title("all settings")
    close.set_title("close-up of the Pareto front")
    _legend(close, methods, colours)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _draw(ax, points, edge, colours):
    """Every point with its seeds' spread, and the front as a dashed step."""
    for _, p in points.iterrows():
        ours = is_fairsynth(p["method"])
        ax.errorbar(
            p["dp_difference_mean"],
            p["accuracy_mean"],
            xerr=p["dp_difference_std"],
            yerr=p["accuracy_std"],
            fmt=MARKERS.get(p["model"], "o"),
            color=colours[p["method"]],
            markersize=10 if ours else 7,
            markeredgecolor="black" if ours else "none",
            markeredgewidth=1.5,
            capsize=2,
        )
    ax.step(
        edge["dp_difference_mean"],
        edge["accuracy_mean"],
        where="post",
        color="grey",
        linestyle="--",
    )
    ax.set_xlabel("demographic-parity difference (lower is fairer)")
    ax.set_ylabel("accuracy")
    ax.grid(alpha=0.3)


def _legend(ax, methods, colours):
    handles = [
        plt.Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            color=colours[m],
            markeredgecolor="black" if is_fairsynth(m) else "none",
            label=m + (" (fairsynth)" if is_fairsynth(m) else ""),
        )
        for m in methods
    ]
    handles += [
        plt.Line2D([], [], marker=marker, linestyle="", color="grey", label=model)
        for model, marker in MARKERS.items()
    ]
    handles.append(
        plt.Line2D([], [], color="grey", linestyle="--", label="Pareto front")
    )
    ax.legend(
        handles=handles,
        fontsize=7,
        loc="center left",
        bbox_to_anchor=(1, 0.5),
        ncol=1 + len(handles) // 36,
    )


def summarise(name, points, front, checks):
    """The Markdown summary of one dataset and attribute."""
    lines = [f"### {name}", "", "Pareto front (accuracy up, DP difference down):"]
    lines += [f"- {label(p)}: {figures(p)}" for _, p in points[front].iterrows()]
    lines += [
        "",
        "Baseline points that no FairGANSampler configuration dominates "
        "(within the seeds' spread):",
    ]
    missed = [c for c in checks if not c["by_fairgan"]]
    lines += [
        f"- {c['baseline']} ({c['figures']})"
        + (
            f"; dominated by {', '.join(c['by_fairsynth'])}"
            if c["by_fairsynth"]
            else "; no fairsynth point dominates it"
        )
        + ("; it reads the group at prediction time" if c["group_aware"] else "")
        for c in missed
    ] or ["- none"]
    blind = [c["baseline"] for c in missed if not c["group_aware"]]
    lines.append(
        "- Of the baselines that never read the group when they predict, "
        + (f"undominated: {', '.join(blind)}" if blind else "none is undominated")
    )
    lines += [
        "",
        "Group-aware front: ThresholdOptimizer alone against ThresholdOptimizer over "
        "models trained on fairsynth's default resampling:",
    ]
    lines += thresholds_verdicts(points) or ["- not run"]
    # Copies are real rows: say which points the generated rows alone do not answer.
    copies_only = [
        c
        for c in checks
        if c["by_fairgan"]
        and all(name.startswith("fairgan_copies_") for name in c["by_fairgan"])
    ]
    lines += [
        "",
        "Baseline points that only copies of real rows (copy_share=1) dominate, "
        "no setting with generated rows:",
    ]
    lines += [f"- {c['baseline']} ({c['figures']})" for c in copies_only] or ["- none"]
    lines += [
        "",
        "Points of copies of real rows that no setting with generated rows reaches "
        "(same model, within the seeds' spread):",
    ]
    lines += [f"- {label(c)} ({figures(c)})" for c in copies_unreached(points)] or [
        "- none"
    ]
    lines += ["", "Strict dominance of reweighing and cell SMOTE by fairsynth:"]
    lines += [
        f"- {c['baseline']} ({c['figures']}): "
        + (
            ", ".join(c["strictly_by"])
            if c["strictly_by"]
            else "NOT strictly dominated"
        )
        for c in checks
        if "strictly_by" in c
    ]
    return lines + [""]


def fmt(mean, std, digits=4):
    """``mean ± std`` as text."""
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def table(summary):
    """The headline table: every figure as mean ± spread over seeds."""
    rows = []
    for _, p in summary.iterrows():
        row = {key: p[key] for key in KEYS}
        for metric in METRICS:
            digits = 1 if metric == "fit_seconds" else 4
            row[metric] = fmt(p[f"{metric}_mean"], p[f"{metric}_std"], digits)
        rows.append(row)
    return rows


def report(rows, cfg, suffix):
    """Aggregate the rows, plot each task and build the Markdown summary.

    Returns the formatted table rows, the JSON extras (``summary_rows``,
    ``pareto``, ``dominance``) and the Markdown sections.
    """
    summary = aggregate(rows)
    sections = ["## Summary", ""]
    extra = {"summary_rows": summary.to_dict("records"), "pareto": {}, "dominance": {}}
    for (dataset, attribute), points in summary.groupby(
        ["dataset", "attribute"], sort=False
    ):
        points = points.reset_index(drop=True)
        front = pareto_mask(points)
        checks = dominance(points)
        name = f"{dataset} / {attribute}"
        png = RESULTS / f"fairness_{dataset}_{attribute}{suffix}.png"
        plot(
            points, front, f"{name}: accuracy vs DP difference (seeds {cfg.seeds})", png
        )
        sections += summarise(name, points, front, checks)
        sections.append(f"![{name}]({png.name})\n")
        extra["pareto"][name] = [label(p) for _, p in points[front].iterrows()]
        extra["dominance"][name] = checks
    return table(summary), extra, sections
