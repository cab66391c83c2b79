"""The mixing ratios of a DrFairnessClassifier: their trajectories and final values.

The section reads a fitted classifier's ``ratio_history_`` and ``cell_counts_``;
it trains nothing.
"""

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ._figures import PALETTE
from ._html import Section


def mixing_model(estimator):
    """Return the fitted mixing classifier in ``estimator`` (or a Pipeline), or None.

    A classifier counts when it has a ``ratio_history_`` (a fitted
    :class:`fairsynth.DrFairnessClassifier`); in a Pipeline, its last step is
    looked at.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from fairsynth.report import mixing_model
    >>> mixing_model(LogisticRegression()) is None
    True
    """
    steps = getattr(estimator, "steps", None)
    if steps:
        estimator = steps[-1][1]
    return estimator if hasattr(estimator, "ratio_history_") else None


def ratio_figure(ratio_history):
    """Draw each cell's ``λ`` and ``μ`` epoch by epoch.

    Parameters
    ----------
    ratio_history : DataFrame
        A fitted classifier's ``ratio_history_``: columns ``epoch``, ``group``,
        ``class``, ``lambda``, ``mu``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from fairsynth.report import ratio_figure
    >>> history = pd.DataFrame({
    ...     "epoch": [0, 0, 1, 1], "group": ["a", "b"] * 2, "class": [1] * 4,
    ...     "lambda": [0.6, 0.4, 0.5, 0.5], "mu": [0.5, 0.5, 0.7, 0.4],
    ... })
    >>> [ax.get_title() for ax in ratio_figure(history).axes]
    ['λ: share of the label going to the group', 'μ: share of real rows in the cell']
    """
    fig = Figure(figsize=(12, 4), layout="constrained")
    axes = fig.subplots(1, 2)
    panels = {
        "lambda": "λ: share of the label going to the group",
        "mu": "μ: share of real rows in the cell",
    }
    cells = ratio_history.groupby(["class", "group"], sort=False)
    for ax, (column, title) in zip(axes, panels.items(), strict=True):
        for k, ((label, group), rows) in enumerate(cells):
            style = "-" if k // len(PALETTE) == 0 else "--"
            ax.plot(
                rows["epoch"],
                rows[column],
                style,
                marker="o",
                markersize=3,
                color=PALETTE[k % len(PALETTE)],
                label=f"{group} / {label}",
            )
        ax.set_title(title)
        ax.set_xlabel("epoch (0: before training)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    axes[1].legend(title="group / class", fontsize="small")
    fig.suptitle("Mixing ratios during training")
    return fig


def mixing_section(classifier):
    """Show a fitted mixing classifier's ratios: trajectories and final values.

    Parameters
    ----------
    classifier : DrFairnessClassifier
        Fitted (a Pipeline ending in one is also taken).

    Returns
    -------
    Section

    Examples
    --------
    >>> from fairsynth import DrFairnessClassifier
    >>> from fairsynth.datasets import make_biased_classification
    >>> from fairsynth.report import mixing_section
    >>> X, y = make_biased_classification(200, random_state=0)
    >>> clf = DrFairnessClassifier(
    ...     sensitive="group", mode="fairbatch", max_epochs=1, random_state=0
    ... ).fit(X, y)
    >>> list(mixing_section(clf).figures)
    ['mixing_ratios']
    """
    model = mixing_model(classifier)
    if model is None:
        raise ValueError(
            "the classifier has no ratio_history_: the mixing section needs a "
            "fitted DrFairnessClassifier (or a Pipeline ending in one)."
        )
    final = model.ratio_history_[
        model.ratio_history_["epoch"] == model.ratio_history_["epoch"].max()
    ]
    table = model.cell_counts_.merge(
        final[["group", "class", "lambda", "mu"]], on=["group", "class"]
    )
    return Section(
        "Mixing of real and generated rows",
        f"The classifier trained with mode={model.mode!r} on batches that take, for "
        "every (group, class) cell, λ μ S real rows and λ (1 - μ) S generated "
        "rows (S: the class's share of the batch). A μ that rises toward 1 means "
        "the training relied on the cell's real rows rather than on its "
        "generated ones.",
        tables={"Rows and final ratios per cell": table},
        figures={"mixing_ratios": ratio_figure(model.ratio_history_)},
        captions={
            "mixing_ratios": "λ and μ of every cell, before training (epoch 0) "
            "and after each epoch."
        },
    )
