"""How many rows each (sensitive group, class) cell should hold after resampling.

Cells are held as a count matrix of shape (n_groups, n_classes), where a group is one
observed combination of the sensitive columns. Nothing here imports torch.
"""

import numpy as np
from imblearn.utils import check_sampling_strategy

# A conditional GAN cannot learn a cell from a handful of rows, and the rows it would
# make for it would be little more than noise around those few.
MIN_CELL_SIZE = 5


def round_to_total(weights, total):
    """Integers proportional to ``weights`` that add up to ``total`` exactly.

    Uses the largest-remainder method, so no cell is ever more than one row away
    from its exact share.
    """
    weights = np.asarray(weights, dtype=float)
    exact = weights / weights.sum() * total
    counts = np.floor(exact).astype(np.int64)
    shortfall = int(total - counts.sum())
    # Stable sort keeps the result deterministic when remainders tie.
    order = np.argsort(-(exact - counts).ravel(), kind="stable")[:shortfall]
    counts.ravel()[order] += 1
    return counts


def shifted_class_shares(counts, strength=1.0):
    """Each group's class distribution moved ``strength`` of the way to the overall one.

    0 keeps every group's own distribution, 1 gives every group the overall one
    (parity), and values above 1 go past it, reversing part of each group's gap.
    Resampling to overshoot that much is what it takes for a model to reach parity
    in its predictions: features that carry the group still pull its scores back.
    """
    counts = np.asarray(counts, dtype=float)
    own = counts / counts.sum(axis=1, keepdims=True)
    overall = counts.sum(axis=0) / counts.sum()
    shares = own + strength * (overall - own)
    # A class a group has may not vanish; one it lacks may stay absent (strength 0).
    if ((shares < 0) | ((shares == 0) & (own > 0))).any():
        moving_down = overall < own
        limit = np.min(own[moving_down] / (own - overall)[moving_down])
        raise ValueError(
            f"parity_strength={strength} would leave a group with no share of a "
            f"class; with these data it must stay below {limit:.3g}."
        )
    return shares


def split_cells(cells, max_rows):
    """Cell-count matrices of at most ``max_rows`` rows in all that add up to ``cells``.

    Each cell's rows go to consecutive chunks, in the cells' flat order.
    """
    flat = np.asarray(cells).ravel()
    ends = np.cumsum(flat)
    for start in range(0, int(ends[-1]) if len(ends) else 0, max_rows):
        overlap = np.minimum(ends, start + max_rows) - np.maximum(ends - flat, start)
        yield np.clip(overlap, 0, None).reshape(np.shape(cells))


def fair_joint(counts, strength=1.0):
    """Keep the group sizes and move each group's classes towards the overall ones.

    With ``strength=1`` the label is independent of the group.
    """
    counts = np.asarray(counts, dtype=float)
    group_share = counts.sum(axis=1, keepdims=True) / counts.sum()
    return group_share * shifted_class_shares(counts, strength)


def parity_targets(counts, strength=1.0):
    """Grow each group to its shifted class distribution, adding the fewest rows.

    A group of class counts ``n_k`` becomes ``T * p_k`` with ``p`` its class
    distribution from :func:`shifted_class_shares` and ``T = max_k n_k / p_k``, the
    smallest size at which no class has to lose rows.
    """
    shares = shifted_class_shares(counts, strength)
    ratio = np.divide(counts, shares, out=np.zeros_like(shares), where=shares > 0)
    size = ratio.max(axis=1, keepdims=True)
    return np.maximum(counts, np.rint(size * shares).astype(np.int64))


def balance_targets(counts):
    """Grow every cell to the size of the largest one."""
    return np.full_like(counts, counts.max())


def targets_from_mapping(mapping, counts, group_keys, classes):
    """Cell targets from ``{(group, class): n_rows}``; unnamed cells stay as is."""
    targets = counts.copy()
    group_index = {key: i for i, key in enumerate(group_keys)}
    class_index = {label: k for k, label in enumerate(classes)}
    for key, target in mapping.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ValueError(
                f"sampling_strategy keys must be (group, class) pairs; got {key!r}. "
                f"The known groups are {list(group_keys)} and the classes "
                f"{list(classes)}."
            )
        group, label = key
        if group not in group_index or label not in class_index:
            raise ValueError(
                f"sampling_strategy names the cell {key!r}, which is not in the data. "
                f"The known groups are {list(group_keys)} and the classes "
                f"{list(classes)}."
            )
        i, k = group_index[group], class_index[label]
        if target < counts[i, k]:
            raise ValueError(
                f"sampling_strategy asks for {target} rows in cell {key!r}, which "
                f"already has {counts[i, k]}. FairGANSampler only adds rows."
            )
        targets[i, k] = target
    return targets


def class_targets(strategy, labels, classes):
    """Class targets without a sensitive column, as imbalanced-learn computes them."""
    if strategy in ("parity", "balance"):
        raise ValueError(
            f"sampling_strategy={strategy!r} needs a sensitive column; set `sensitive` "
            "or use one of imbalanced-learn's strategies such as 'auto'."
        )
    targets = np.array([[np.sum(labels == label) for label in classes]])
    column = {label: k for k, label in enumerate(classes)}
    for label, n_new in check_sampling_strategy(
        strategy, labels, "over-sampling"
    ).items():
        targets[0, column[label]] += n_new
    return targets


def resolve_targets(strategy, counts, group_keys, classes, strength=1.0):
    """Cell targets for the named, mapped or computed ``strategy`` (sensitive case)."""
    if strategy in ("auto", "parity"):
        return parity_targets(counts, strength)
    if strategy == "balance":
        return balance_targets(counts)
    if isinstance(strategy, dict):
        return targets_from_mapping(strategy, counts, group_keys, classes)
    raise ValueError(
        f"sampling_strategy={strategy!r} is not supported with a sensitive column. "
        "Use 'parity', 'balance', 'auto', a dict {(group, class): n_rows} or a "
        "callable returning such a dict."
    )


def generated_targets(strategy, counts, targets, strength=1.0):
    """Cell sizes for a fully generated table of as many rows as the real one.

    'parity' (and 'auto') keep each group's size and give it the shifted class
    distribution; any other strategy keeps the proportions of its targets.
    """
    weights = (
        fair_joint(counts, strength) if strategy in ("auto", "parity") else targets
    )
    return round_to_total(weights, counts.sum())


def check_learnable(counts, needed, group_keys, classes):
    """Raise if cells must be generated but have too few real rows to learn from.

    The message names every such cell at once.
    """
    small = [
        f"(group={group_keys[i]!r}, class={classes[k]!r}): {counts[i, k]} rows"
        for i, k in zip(*np.nonzero(needed & (counts < MIN_CELL_SIZE)), strict=True)
    ]
    if small:
        raise ValueError(
            f"{len(small)} cell(s) must grow but have fewer than the {MIN_CELL_SIZE} "
            f"real rows needed to learn them: {'; '.join(small)}. Merge each such "
            "group with a similar one (or bin the sensitive column more coarsely), "
            "or pass a dict sampling_strategy that leaves these cells as they are "
            "(on the command line, --strategy GROUP:CLASS=N for the cells to grow)."
        )
