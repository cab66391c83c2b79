"""The report's figures, drawn with matplotlib's Agg backend (no display needed).

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot, so
that drawing reports never touches a user's interactive figures.
"""

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..metrics._quality import category_labels, is_numeric

# Colour-blind safe (Okabe-Ito) colours, in the order the series are drawn.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9"]
MAX_CATEGORIES = 8
# Numbers with at most this many distinct values (a 0/1 flag, a count) are drawn as
# bars: a density would spread them over values they never take.
FEW_VALUES = 10
LOSS_PANELS = {
    "Likelihood": {"train_loss": "training rows", "valid_loss": "validation rows"},
    "Critic": {"critic_loss": "critic loss"},
    "Fairness adversary": {
        "adversary_loss": "adversary loss",
        "fairness_penalty": "fairness penalty",
    },
}


def _bar_panel(ax, table, title, xlabel):
    """Horizontal grouped bars: one row per group, one bar per column of ``table``."""
    height = 0.8 / max(len(table.columns), 1)
    rows = np.arange(len(table))
    for k, name in enumerate(table.columns):
        ax.barh(
            rows + (k - (len(table.columns) - 1) / 2) * height,
            table[name].to_numpy(dtype=float, na_value=np.nan),
            height=height,
            color=PALETTE[k % len(PALETTE)],
            label=str(name),
        )
    ax.set_yticks(rows, [str(group) for group in table.index])
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)


def rates_figure(panels, *, title, xlabel="share of rows with the positive label"):
    """Draw grouped bars of rates per group, a panel per attribute or intersection.

    Parameters
    ----------
    panels : dict of str to pandas.DataFrame
        For each attribute, a table indexed by group whose columns are the series
        to compare (e.g. base rate before and after).
    title : str
        Figure title.
    xlabel : str, default="share of rows with the positive label"
        What the rate is.

    Examples
    --------
    >>> import pandas as pd
    >>> panels = {"sex": pd.DataFrame({"real": [0.11, 0.31]}, index=["Female", "Male"])}
    >>> figure = rates_figure(panels, title="Share of high incomes")
    >>> figure.axes[0].get_title()
    'by sex'
    """
    heights = [
        max(len(table), 2) * 0.25 * len(table.columns) + 1 for table in panels.values()
    ]
    fig = Figure(figsize=(8, sum(heights) + 0.8), layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, (name, table) in zip(axes, panels.items(), strict=True):
        _bar_panel(ax, table, f"by {name}", xlabel)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    fig.suptitle(title)
    return fig


def counterfactual_figure(report):
    """Draw flip rates and score changes per pair of source and twin groups.

    Parameters
    ----------
    report : pandas.DataFrame
        A :func:`fairsynth.metrics.counterfactual_report`.

    Examples
    --------
    >>> import pandas as pd
    >>> report = pd.DataFrame(
    ...     {"n_twins": [2, 2, 4], "flip_rate": [0.5, 0.0, 0.25],
    ...      "score_change": [0.4, 0.1, 0.25]},
    ...     index=pd.MultiIndex.from_tuples(
    ...         [("F", "M"), ("M", "F"), ("all", "all")],
    ...         names=["source_group", "twin_group"]),
    ... )
    >>> figure = counterfactual_figure(report)
    >>> [label.get_text() for label in figure.axes[0].get_yticklabels()]
    ['F → M', 'M → F', 'all']
    """
    table = report[["flip_rate", "score_change"]].rename(
        columns={"flip_rate": "decisions that change", "score_change": "score change"}
    )
    table.index = [
        source if source == twin == "all" else f"{source} → {twin}"
        for source, twin in report.index
    ]
    fig = Figure(figsize=(8, max(len(table), 2) * 0.5 + 1.5), layout="constrained")
    ax = fig.subplots()
    _bar_panel(ax, table, "From each row to its twin", "share of rows (score: mean)")
    ax.legend(loc="lower right")
    return fig


def tradeoff_figure(points, attributes):
    """Accuracy against the fairness differences, one panel per attribute.

    A second row of panels shows the equalized-odds difference when ``points``
    has it: a resampling that closes the demographic-parity gap can open that one.

    Parameters
    ----------
    points : pandas.DataFrame
        One row per trained model, indexed by its name, with an ``accuracy``
        column and a ``dp_difference[<attribute>]`` column per attribute, and
        optionally ``eo_difference[<attribute>]`` columns.
    attributes : list of str
        The sensitive attributes.

    Examples
    --------
    >>> import pandas as pd
    >>> points = pd.DataFrame(
    ...     {"accuracy": [0.85, 0.83], "dp_difference[sex]": [0.17, 0.06],
    ...      "eo_difference[sex]": [0.07, 0.21]},
    ...     index=["no resampling", "parity"],
    ... )
    >>> [ax.get_title() for ax in tradeoff_figure(points, ["sex"]).axes]
    ['sex', 'sex']
    """
    kinds = {"dp_difference": "demographic-parity difference (lower is fairer)"}
    if all(f"eo_difference[{a}]" in points for a in attributes):
        kinds["eo_difference"] = "equalized-odds difference (lower is fairer)"
    fig = Figure(figsize=(5 * len(attributes), 4.2 * len(kinds)), layout="constrained")
    axes = fig.subplots(len(kinds), len(attributes), squeeze=False)
    for row, (kind, xlabel) in zip(axes, kinds.items(), strict=True):
        for ax, attribute in zip(row, attributes, strict=True):
            _tradeoff_panel(ax, points, f"{kind}[{attribute}]", xlabel)
            ax.set_title(f"{attribute}")
    fig.suptitle("Accuracy / fairness trade-off")
    return fig


def _tradeoff_panel(ax, points, column, xlabel):
    x = points[column].to_numpy(dtype=float)
    y = points["accuracy"].to_numpy(dtype=float)
    for k, name in enumerate(points.index):
        ax.scatter(x[k], y[k], s=60, color=PALETTE[k % len(PALETTE)], zorder=3)
        ax.annotate(str(name), (x[k], y[k]), xytext=(5, 5), textcoords="offset points")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy on the test set")
    ax.grid(alpha=0.3)
    ax.margins(0.25)
    ax.xaxis.set_major_locator(MaxNLocator(5))


def _numeric_panel(ax, real, synthetic, real_weights):
    columns = [pd.to_numeric(s, errors="coerce") for s in (real, synthetic)]
    kept = [column.notna().to_numpy() for column in columns]
    values = [c.to_numpy(float)[k] for c, k in zip(columns, kept, strict=True)]
    weights = [real_weights[kept[0]], None]
    everything = np.concatenate(values)
    low, high = np.quantile(everything, [0.01, 0.99]) if everything.size else (0, 1)
    bins = np.linspace(low, high if high > low else low + 1, 30)
    for k, (data, label) in enumerate(zip(values, ("real", "generated"), strict=True)):
        ax.hist(
            np.clip(data, bins[0], bins[-1]),
            bins=bins,
            weights=weights[k],
            density=True,
            histtype="step" if k else "stepfilled",
            alpha=1 if k else 0.5,
            color=PALETTE[k],
            linewidth=1.5,
            label=label,
        )
    ax.set_ylabel("density")
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.ticklabel_format(axis="both", style="sci", scilimits=(-3, 4))


def _categorical_panel(ax, real, synthetic, real_weights, *, by_value=False):
    """Bars of each value's share; a few-valued number's values in their order."""
    real_shares = pd.Series(real_weights).groupby(category_labels(real)).sum()
    shares = (
        pd.DataFrame(
            {
                "real": real_shares / real_shares.sum(),
                "generated": pd.Series(category_labels(synthetic)).value_counts(
                    normalize=True
                ),
            }
        )
        .fillna(0.0)
        .sort_values("real", ascending=False)
    )
    if by_value:
        order = pd.to_numeric(pd.Series(shares.index), errors="coerce")
        shares = shares.iloc[np.argsort(order.to_numpy(), kind="stable")]
    elif len(shares) > MAX_CATEGORIES:
        top, rest = shares.iloc[: MAX_CATEGORIES - 1], shares.iloc[MAX_CATEGORIES - 1 :]
        shares = pd.concat([top, rest.sum().to_frame("(others)").T])
    _bar_panel(ax, shares, "", "share of rows")
    ax.tick_params(axis="y", labelsize=7)


def distributions_figure(real, synthetic, *, real_weights=None):
    """Real against generated distribution of every column, one panel each.

    ``real_weights`` weighs the real rows (for instance to the generated rows' mix
    of cells, so that like is compared with like); None weighs them equally.

    Examples
    --------
    >>> from fairsynth.datasets import make_biased_classification
    >>> real, _ = make_biased_classification(100, random_state=0)
    >>> generated, _ = make_biased_classification(100, random_state=1)
    >>> figure = distributions_figure(real, generated)
    >>> sum(ax.get_visible() for ax in figure.axes) == real.shape[1]
    True
    """
    n_cols = 3
    n_rows = -(-real.shape[1] // n_cols)
    fig = Figure(figsize=(12, 2.8 * n_rows + 0.8), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    weights = (
        np.ones(len(real)) if real_weights is None else np.asarray(real_weights, float)
    )
    for ax, name in zip(axes, real.columns, strict=False):
        numeric = is_numeric(real[name])
        if numeric and real[name].nunique() > FEW_VALUES:
            _numeric_panel(ax, real[name], synthetic[name], weights)
        else:
            _categorical_panel(
                ax, real[name], synthetic[name], weights, by_value=numeric
            )
        ax.set_title(str(name))
    for ax in axes[real.shape[1] :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    fig.suptitle("Real and generated distributions, column by column")
    return fig


def association_figure(delta):
    """Heat map of generated minus real association (correlation) matrices.

    Examples
    --------
    >>> from fairsynth.datasets import make_biased_classification
    >>> real, _ = make_biased_classification(100, random_state=0)
    >>> generated, _ = make_biased_classification(100, random_state=1)
    >>> from fairsynth.metrics import association_difference
    >>> figure = association_figure(association_difference(real, generated))
    >>> figure.axes[0].get_xlabel()
    'column'
    """
    size = max(4.0, 0.45 * len(delta) + 2)
    fig = Figure(figsize=(size + 1.2, size), layout="constrained")
    ax = fig.subplots()
    limit = max(float(np.nanmax(np.abs(delta.to_numpy()))), 0.05)
    image = ax.imshow(delta.to_numpy(float), cmap="RdBu_r", vmin=-limit, vmax=limit)
    ticks = np.arange(len(delta))
    ax.set_xticks(ticks, [str(c) for c in delta.columns], rotation=60, ha="right")
    ax.set_yticks(ticks, [str(c) for c in delta.index])
    ax.set_xlabel("column")
    ax.set_ylabel("column")
    fig.colorbar(image, ax=ax, label="association: generated minus real")
    ax.set_title("Difference of association matrices\n(Pearson, Cramér's V, eta)")
    return fig


def loss_figure(history):
    """Training losses per epoch from a skorch ``History``.

    Examples
    --------
    >>> from skorch.history import History
    >>> history = History()
    >>> for epoch in (1, 2):
    ...     history.new_epoch()
    ...     history.record("epoch", epoch)
    ...     history.record("train_loss", 1.0 / epoch)
    >>> [ax.get_title() for ax in loss_figure(history).axes]
    ['Likelihood', 'Critic', 'Fairness adversary']

    A fitted sampler's losses are ``loss_figure(sampler.net_.history)``.
    """
    epochs = history[:, "epoch"]
    fig = Figure(figsize=(13, 3.8), layout="constrained")
    axes = fig.subplots(1, len(LOSS_PANELS))
    for ax, (title, keys) in zip(axes, LOSS_PANELS.items(), strict=True):
        for k, (key, label) in enumerate(keys.items()):
            values = np.array([row.get(key, np.nan) for row in history], dtype=float)
            # A part switched off (its weight 0; the adversary whenever real rows
            # are kept) records exactly 0, which must not read as a perfect score;
            # the critic and the adversary record nothing in the likelihood phase.
            if not np.nan_to_num(values).any():
                label += " (off)"
            ax.plot(epochs, values, marker="o", color=PALETTE[k], label=label)
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("mean over the epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("Training losses")
    return fig
