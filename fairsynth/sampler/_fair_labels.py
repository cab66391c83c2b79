"""Labels for a fully generated table that make models trained on it fair.

FairGAN+ trains a classifier on the generated table and asks that its decisions on
real rows be independent of the group. The generator already holds that classifier
in closed form: its likelihood of a row in each ``(group, class)`` cell gives, by
Bayes' rule with the real cell shares as prior, ``P(class | x)`` and ``P(group | x)``.
Among classifiers that read ``x`` only, those that give every group the same share
of positives threshold ``P(positive | x) + sum_a mu_a P(group a | x)`` (the
demographic-parity Bayes classifier of Menon and Williamson, 2018); ``mu`` is
found on the real rows. Each generated group's positives are then its rows of
highest score, as many as its cell targets ask, so the cell counts stay exact and
the labels are the fair classifier's.
"""

import numpy as np

# The offsets' search: at most this many steps, each moving a group's offset by
# its rate gap times a step size that shrinks geometrically from 1.
OFFSET_STEPS = 2000
STEP_DECAY = 0.997


def cell_posteriors(log_likelihoods, counts):
    """``P(cell | x)`` per row, from ``log p(x | cell)`` and the cells' real counts.

    ``log_likelihoods`` has one column per cell in ``counts.ravel()`` order; the
    result has the same shape and sums to 1 per row.
    """
    with np.errstate(divide="ignore"):
        joint = log_likelihoods + np.log(counts.ravel() / counts.sum())
    joint = joint - joint.max(axis=1, keepdims=True)
    posterior = np.exp(joint)
    return posterior / posterior.sum(axis=1, keepdims=True)


def positive_and_group(posterior, n_groups):
    """``P(positive | x)`` and ``P(group | x)`` from two-class cell posteriors."""
    by_cell = posterior.reshape(len(posterior), n_groups, 2)
    return by_cell[:, :, 1].sum(axis=1), by_cell.sum(axis=2)


def group_offsets(positive, group_posterior, groups, rate):
    """Find offsets ``mu`` with which every group gets ``rate`` of positives.

    The score is ``positive - 0.5 + group_posterior @ mu``; ``groups`` are the real
    rows' group ids. Returns the offsets whose largest gap in positive rates
    between a group and ``rate`` was smallest.
    """
    n_groups = group_posterior.shape[1]
    sizes = np.bincount(groups, minlength=n_groups)
    mu, best, best_gap, step = np.zeros(n_groups), np.zeros(n_groups), np.inf, 1.0
    for _ in range(OFFSET_STEPS):
        chosen = positive - 0.5 + group_posterior @ mu > 0
        gaps = np.bincount(groups, weights=chosen, minlength=n_groups) / sizes - rate
        if np.abs(gaps).max() < best_gap:
            best, best_gap = mu.copy(), np.abs(gaps).max()
        # Below one row of the smallest group, no step can do better.
        if best_gap <= 0.5 / sizes.min():
            break
        mu -= step * gaps
        step *= STEP_DECAY
    return best


def top_rows_positive(score, groups, positives):
    """1 for the ``positives[g]`` rows of highest ``score`` in each group ``g``, else 0.

    Ties go to the earlier row, so the result is deterministic.
    """
    labels = np.zeros(len(score), dtype=np.int64)
    for group, wanted in enumerate(positives):
        rows = np.flatnonzero(groups == group)
        ranked = rows[np.argsort(-score[rows], kind="stable")]
        labels[ranked[:wanted]] = 1
    return labels
