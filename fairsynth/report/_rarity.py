"""The rarest rows: which values they share, how rare they are, and which groups.

The section reads scores and a mask (from :class:`fairsynth.discovery.LatentRarity`);
it fits nothing, so building it needs no torch.
"""

import numpy as np
from matplotlib.figure import Figure

from ..discovery._audit import rarity_by_group, rarity_lifts
from ..discovery._validation import check_share, top_share
from ._figures import PALETTE
from ._html import Section

# Values listed in the report's lift table.
TOP_VALUES = 15


def rarity_figure(scores, mask, by_group=None):
    """Draw the rarity distribution, and each group's lift among the rarest rows.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        Rarity scores (higher is rarer).
    mask : ndarray of bool of shape (n_samples,)
        True for the rows counted as rarest; the cut is drawn as a line.
    by_group : DataFrame, default=None
        A :func:`fairsynth.discovery.rarity_by_group` table; with it, a second
        panel shows each group's lift.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from fairsynth.report import rarity_figure
    >>> scores = np.arange(20.0)
    >>> len(rarity_figure(scores, scores >= 18).axes)
    1
    """
    scores, mask = np.asarray(scores, dtype=float), np.asarray(mask)
    panels = 1 if by_group is None else 2
    figure = Figure(figsize=(5.5 * panels, 3.6), layout="constrained")
    axes = figure.subplots(1, panels, squeeze=False)[0]
    ax = axes[0]
    ax.hist(scores, bins=40, color=PALETTE[0], alpha=0.85)
    if mask.any():
        cut = scores[mask].min()
        ax.axvline(cut, color=PALETTE[3], linestyle="--", label="rarest rows from here")
        ax.legend(loc="upper right")
    ax.set_xlabel("rarity (higher is rarer)")
    ax.set_ylabel("rows")
    ax.set_title("Rarity of the rows")
    if by_group is not None:
        _lift_panel(axes[1], by_group)
    return figure


def _lift_panel(ax, by_group):
    labels = [
        f"{c}={g}" for c, g in zip(by_group["column"], by_group["group"], strict=True)
    ]
    rows = np.arange(len(labels))
    ax.barh(rows, by_group["lift"].to_numpy(dtype=float), color=PALETTE[1])
    ax.axvline(1.0, color="#555", linewidth=1)
    ax.set_yticks(rows, labels)
    ax.invert_yaxis()
    ax.set_xlabel("share among the rarest rows / share among all rows")
    ax.set_title("Groups among the rarest rows")
    ax.grid(axis="x", alpha=0.3)


def rarity_section(X, scores, mask, *, groups=None, top=TOP_VALUES):
    """Build the report's section on the rarest rows.

    Parameters
    ----------
    X : DataFrame of shape (n_samples, n_features)
        The rows the rarity model scored.
    scores : array-like of shape (n_samples,)
        Their rarity, e.g. :meth:`LatentRarity.score_samples`.
    mask : ndarray of bool of shape (n_samples,)
        True for the rarest rows, e.g. :meth:`LatentRarity.minority`.
    groups : Series or DataFrame, default=None
        Known sensitive columns, kept out of the rarity model: the section then
        shows how rarity lines up with them.
    top : int, default=15
        Values listed in the lift table.

    Returns
    -------
    Section

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from fairsynth.report import rarity_section
    >>> X = pd.DataFrame({"job": ["a"] * 15 + ["b"] * 5})
    >>> scores = np.r_[np.zeros(15), np.ones(5)]
    >>> section = rarity_section(X, scores, scores > 0.5)
    >>> list(section.tables), list(section.figures)
    (['Values over-represented among the rarest rows'], ['rarity'])
    """
    mask = np.asarray(mask)
    lifts = rarity_lifts(X, mask).head(top)
    tables = {"Values over-represented among the rarest rows": lifts.round(4)}
    by_group = None
    if groups is not None:
        by_group = rarity_by_group(scores, mask, groups)
        tables["Known groups among the rarest rows"] = by_group.round(4)
    return Section(
        "Rarest rows",
        f"A variational autoencoder learned the table without labels or sensitive "
        f"columns, and each row's rarity is how thinly populated its region of the "
        f"latent space is (DB-VAE). The rarest {mask.mean():.0%} of the rows "
        f"({int(mask.sum())}) are compared with all rows: a lift of 3 means a "
        "value is three times as common among them. Rows rare in ways no column "
        "names show here; so may groups missing from the table's columns.",
        tables=tables,
        figures={"rarity": rarity_figure(scores, mask, by_group)},
        captions={
            "rarity": "How rare the rows are, with the cut above which they count "
            "as rarest"
            + (
                "; and each known group's share among the rarest rows over its "
                "share among all rows (1: as common as anywhere)."
                if by_group is not None
                else "."
            )
        },
    )


def rarity_audit_section(frame, *, exclude=(), groups=None, share=0.1, random_state=0):
    """Fit :class:`~fairsynth.discovery.LatentRarity` and build :func:`rarity_section`.

    Parameters
    ----------
    frame : DataFrame
        The table.
    exclude : sequence of str, default=()
        Columns the rarity model must not see: the target, predictions, and the
        sensitive columns, so that how rarity lines up with them is a finding,
        not an echo.
    groups : Series or DataFrame, default=None
        Known sensitive columns, shown against rarity.
    share : float in (0, 1), default=0.1
        Share of the rows counted as rarest.
    random_state : int, RandomState instance or None, default=0
        Seeds the rarity model.

    Returns
    -------
    Section

    Examples
    --------
    >>> from fairsynth.datasets import make_biased_classification
    >>> from fairsynth.report import rarity_audit_section
    >>> X, y = make_biased_classification(n_samples=200, random_state=0)
    >>> section = rarity_audit_section(X, exclude=["group"], groups=X["group"])
    >>> list(section.tables)[1]
    'Known groups among the rarest rows'
    """
    from ..discovery import LatentRarity

    share = check_share(share)
    X = frame.drop(columns=list(exclude))
    scores = LatentRarity(random_state=random_state).fit(X).score_samples(X)
    return rarity_section(X, scores, top_share(scores, share), groups=groups)
