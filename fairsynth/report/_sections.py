"""Report sections built from data: group rates, fidelity and training."""

import pandas as pd

from ..metrics import association_difference, group_report, quality_report
from ..metrics._shift import cell_keys
from ._figures import (
    association_figure,
    counterfactual_figure,
    distributions_figure,
    loss_figure,
    rates_figure,
)
from ._html import Section

QUALITY_NAMES = {
    "mean_fidelity": "mean column fidelity (1 = same marginals)",
    "correlation_similarity": "association similarity (1 = same)",
    "detection_auc": "detection AUC (0.5 = indistinguishable)",
    "exact_copy_rate": "exact copies of real rows (share)",
    "median_distance_to_closest_record": "median distance to closest real row",
}


def attribute_sets(sensitive):
    """Each sensitive column alone, then their intersection when there are several.

    Examples
    --------
    >>> attribute_sets(["sex", "race"])
    [['sex'], ['race'], ['sex', 'race']]
    """
    sets = [[name] for name in sensitive]
    return [*sets, list(sensitive)] if len(sensitive) > 1 else sets


def rate_panels(series, sensitive, *, pos_label=None):
    """Per-group rates of several tables, one panel per attribute set.

    Parameters
    ----------
    series : dict
        ``{label: (y_true, y_pred, groups)}``: ``groups`` a DataFrame holding the
        sensitive columns. Without ``y_pred`` (None) the rate is the base rate,
        else the selection rate.
    sensitive : list of str
        The sensitive columns.
    pos_label : scalar, default=None
        The positive label; see :func:`fairsynth.metrics.group_report`.

    Returns
    -------
    dict of str to pandas.DataFrame
        Indexed by group, one column per entry of ``series``.

    Examples
    --------
    >>> from fairsynth.datasets import make_biased_classification
    >>> X, y = make_biased_classification(100, random_state=0)
    >>> panels = rate_panels({"real": (y, None, X)}, ["group"])
    >>> panels["group"].round(3)
            real
    group
    g0     0.314
    g1     0.796
    """
    panels = {}
    for names in attribute_sets(sensitive):
        columns = {}
        for label, (y_true, y_pred, groups) in series.items():
            report = group_report(
                y_true,
                y_pred,
                sensitive_features=groups[names]
                if len(names) > 1
                else groups[names[0]],
                pos_label=pos_label,
            )
            rate = "base_rate" if y_pred is None else "selection_rate"
            columns[label] = report.loc["group", rate]
        panels[" × ".join(names)] = pd.DataFrame(columns)
    return panels


def rates_section(heading, stem, series, sensitive, *, title, text="", pos_label=None):
    """Build a section with one figure of per-group rates.

    Base rates (``y_pred`` None in ``series``) and selection rates are labelled
    as such on the figure; see :func:`rate_panels` for the arguments.

    Examples
    --------
    >>> from fairsynth.datasets import make_biased_classification
    >>> X, y = make_biased_classification(100, random_state=0)
    >>> section = rates_section(
    ...     "Base rates", "base_rates", {"real": (y, None, X)}, ["group"], title="Rates"
    ... )
    >>> section.heading, list(section.figures)
    ('Base rates', ['base_rates'])
    """
    panels = rate_panels(series, sensitive, pos_label=pos_label)
    predicted = any(y_pred is not None for _, y_pred, _ in series.values())
    xlabel = (
        "selection rate (share predicted positive)"
        if predicted
        else "base rate (share of rows with the positive label)"
    )
    figure = rates_figure(panels, title=title, xlabel=xlabel)
    caption = (
        f"{title}: one bar per group and per table or model, for each sensitive "
        "column and their intersection."
    )
    return Section(heading, text, figures={stem: figure}, captions={stem: caption})


def quality_table(real, generated, *, random_state=None):
    """Fidelity, detection and privacy-distance figures as a one-column table.

    Examples
    --------
    >>> from fairsynth.datasets import make_biased_classification
    >>> real, _ = make_biased_classification(100, random_state=0)
    >>> generated, _ = make_biased_classification(100, random_state=1)
    >>> quality_table(real, generated, random_state=0).index.tolist()
    ['mean column fidelity (1 = same marginals)', 'association similarity (1 = same)',
     'detection AUC (0.5 = indistinguishable)', 'exact copies of real rows (share)',
     'median distance to closest real row']
    """
    scores = quality_report(real, generated, random_state=random_state)
    values = {label: scores[key] for key, label in QUALITY_NAMES.items()}
    return pd.DataFrame({"value": pd.Series(values, dtype=float)})


def cell_matched_weights(real, generated, keys):
    """Weights that give the real rows the generated rows' mix of cells.

    A cell is a combination of the ``keys`` columns' values. Each real row weighs
    its cell's share of the generated rows over its share of the real rows;
    real rows of cells without generated rows weigh 0.

    Examples
    --------
    >>> import pandas as pd
    >>> real = pd.DataFrame({"g": ["a", "a", "b", "b"]})
    >>> cell_matched_weights(real, pd.DataFrame({"g": ["b"]}), ["g"]).tolist()
    [0.0, 0.0, 2.0, 2.0]
    """
    real_cells = pd.Series(cell_keys(real, keys))
    wanted = pd.Series(cell_keys(generated, keys)).value_counts(normalize=True)
    have = real_cells.value_counts(normalize=True)
    ratio = (wanted / have).reindex(have.index).fillna(0.0)
    return real_cells.map(ratio).to_numpy(dtype=float)


def fidelity_section(real, generated, *, random_state=None, keys=None):
    """Distributions, association differences and quality figures of a table.

    With ``keys`` (the sensitive columns and the label, say), the distributions
    weigh the real rows to the generated rows' mix of cells, so that rows added
    to some cells are drawn against the real rows of those cells; the quality
    figures always compare with all real rows.

    Examples
    --------
    >>> from fairsynth.datasets import make_biased_classification
    >>> real, _ = make_biased_classification(100, random_state=0)
    >>> generated, _ = make_biased_classification(100, random_state=1)
    >>> section = fidelity_section(real, generated, random_state=0)
    >>> list(section.tables), list(section.figures)
    (['Fidelity, detection and privacy'], ['distributions', 'association_difference'])
    """
    quality = quality_table(real, generated, random_state=random_state)
    delta = association_difference(real, generated)
    weights = None if keys is None else cell_matched_weights(real, generated, keys)
    against = (
        "all real rows (filled)"
        if keys is None
        else f"the real rows (filled) weighed to the generated rows' mix of "
        f"{', '.join(map(str, keys))}"
    )
    return Section(
        "Generated data against real data",
        f"{len(generated)} generated rows compared with {len(real)} real rows.",
        tables={"Fidelity, detection and privacy": quality},
        figures={
            "distributions": distributions_figure(
                real, generated, real_weights=weights
            ),
            "association_difference": association_figure(delta),
        },
        captions={
            "distributions": f"Each column in {against}, and in the generated rows "
            "(line); numbers with few values are drawn as bars.",
            "association_difference": "How much each pair of columns is more or "
            "less associated in the generated rows than in the real rows (0 = the "
            "same).",
        },
    )


def training_section(history):
    """Loss curves of a fitted sampler's net.

    Examples
    --------
    >>> from skorch.history import History
    >>> history = History()
    >>> history.new_epoch()
    >>> history.record("epoch", 1)
    >>> history.record("train_loss", 0.5)
    >>> list(training_section(history).figures)
    ['training_losses']
    """
    return Section(
        "Training",
        "Epoch by epoch: the generator's negative log-likelihood (nats per row) of "
        "its training rows and of the held-out validation rows, which chose the "
        "epoch it samples from; then, in the adversarial epochs, the critic's loss "
        "and the fairness adversary's, which trains when lambda_fair > 0 and "
        "keep_real=False. A part that was off is marked (off).",
        figures={"training_losses": loss_figure(history)},
        captions={"training_losses": "The sampler's losses, epoch by epoch."},
    )


def counterfactual_section(report):
    """Show how often a model's decision follows the group: its counterfactual audit.

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
    >>> section = counterfactual_section(report)
    >>> list(section.tables), list(section.figures)
    (['Flip rates and score changes'], ['counterfactual_flips'])
    """
    return Section(
        "Counterfactual audit",
        "Each real row against its twin in every other group: the same row as the "
        "generator sees it, with the group changed and what follows from it. The "
        "flip rate is the share of the classifier's decisions that change; the "
        "score change, the mean change of its predicted probabilities. 0 means "
        "that no decision depends on the group, through any column.",
        tables={"Flip rates and score changes": report.round(4)},
        figures={"counterfactual_flips": counterfactual_figure(report)},
        captions={
            "counterfactual_flips": "For rows of each group and their twins in "
            "another: the share of the classifier's decisions that change, and the "
            "mean change of its predicted probability."
        },
    )


def shift_section(shift):
    """Show how far generated rows' categories stray from real rows of their cells.

    Parameters
    ----------
    shift : pandas.Series
        A :func:`fairsynth.metrics.category_shift`, one score per column.

    Examples
    --------
    >>> import pandas as pd
    >>> section = shift_section(pd.Series({"sex": 0.31, "race": 0.02}))
    >>> section.tables["Shift of each categorical column"].columns.tolist()
    ['total variation']
    """
    return Section(
        "What the generated rows change besides their cells",
        "For each categorical column, how far its shares among the generated rows "
        "are from those of the real rows of the same cells (group and label), as "
        "the total variation distance: 0 when the generated rows take the values "
        "real rows like them have, 1 when they share none. A repair of one "
        "attribute that moves another (all generated rows of one sex, say) shows "
        "here.",
        tables={
            "Shift of each categorical column": shift.round(4).to_frame(
                "total variation"
            )
        },
    )
