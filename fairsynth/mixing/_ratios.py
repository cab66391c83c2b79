"""The mixing ratios of every ``(label, group)`` cell, and their two update rules.

``λ_yz`` is the share of group ``z`` among the rows of label ``y`` in a batch (a
softmax over groups within each label); ``μ_yz`` is the share of real rows among the
cell's rows (a sigmoid). A batch of ``B`` rows takes ``λ_yz μ_yz S_y`` real and
``λ_yz (1 - μ_yz) S_y`` generated rows of the cell, with ``S_y = B n_y / n`` (Roh et
al., Dr-Fairness, TMLR 2023).
"""

import numpy as np

# Smallest initial λ of a cell: a cell with no real rows still gets a logit that
# can move, instead of log(0).
_MIN_LAMBDA = 1e-3
_MIN_FAIRBATCH_LAMBDA = 1e-4
_BETAS, _EPS = (0.9, 0.999), 1e-8


class MixingRatios:
    """The λ and μ logits of the cells, with a batch composition and updates.

    The ratios are a handful of numbers, so they live in NumPy and their
    gradients and Adam steps are written out: a torch graph and optimizer for
    them cost more per batch than the network's own step.

    Parameters
    ----------
    cell_counts : array-like of shape (n_classes, n_groups)
        Real rows per cell (label first, then group); they give the label shares
        ``n_y / n`` and the initial ``λ``.
    has_generated : array-like of bool of shape (n_classes, n_groups), default=None
        Cells that have generated rows. A cell without any keeps ``μ = 1``. None
        means no cell has generated rows (real rows only, as in FairBatch).
    lambda_init : {"data", "parity"}, default="data"
        ``"data"`` starts ``λ_yz`` at the cell's share of its label's real rows;
        ``"parity"`` at the group's share of all real rows, so that the label is
        independent of the group in the batches.
    mu_init : float, default=0.5
        Initial share of real rows in every cell that has generated rows.
    lr : float, default=0.005
        Adam learning rate of the logits in :meth:`hypergradient_step`.

    Examples
    --------
    >>> from fairsynth.mixing import MixingRatios
    >>> ratios = MixingRatios([[30, 10], [10, 10]], has_generated=[[1, 1], [1, 1]])
    >>> ratios.batch_counts(60)[..., 0].tolist()  # real rows of each cell
    [[15, 5], [5, 5]]
    """

    def __init__(
        self,
        cell_counts,
        *,
        has_generated=None,
        lambda_init="data",
        mu_init=0.5,
        lr=0.005,
    ):
        counts = np.asarray(cell_counts, dtype=np.float64)
        if has_generated is None:
            has_generated = np.zeros(counts.shape, dtype=bool)
        self.has_generated = np.asarray(has_generated, dtype=bool)
        self.has_real = counts > 0
        self.label_shares = counts.sum(1) / counts.sum()
        self.cell_shares = counts / counts.sum()
        self.lr = lr
        self.lambda_logits = np.log(_initial_lambdas(counts, lambda_init))
        mu = np.clip(np.full(counts.shape, float(mu_init)), 1e-6, 1 - 1e-6)
        self.mu_logits = np.log(mu / (1 - mu))
        self._moments = np.zeros((2, 2, *counts.shape))
        self._steps = 0

    @property
    def shape(self):
        """``(n_classes, n_groups)``."""
        return self.lambda_logits.shape

    def lambdas(self):
        """Return ``λ``, shape ``(n_classes, n_groups)``, each row summing to 1."""
        exp = np.exp(self.lambda_logits - self.lambda_logits.max(1, keepdims=True))
        return exp / exp.sum(1, keepdims=True)

    def mus(self):
        """Return ``μ``, shape ``(n_classes, n_groups)``; 1 without generated rows."""
        return np.where(self.has_generated, 1 / (1 + np.exp(-self.mu_logits)), 1.0)

    def batch_shares(self):
        """Return each cell's share of a batch, shape ``(n_classes, n_groups, 2)``.

        The last axis is ``(real, generated)``; the shares sum to 1.
        """
        lam, mu = self.lambdas(), self.mus()
        label = self.label_shares[:, None]
        return np.stack([lam * mu * label, lam * (1 - mu) * label], axis=-1)

    def sources(self):
        """Return which ``(cell, real/generated)`` pools a batch draws from."""
        return np.stack([self.has_real, self.has_generated], axis=-1)

    def min_batch_size(self):
        """Return the smallest batch that holds one row of every pool."""
        return int(self.sources().sum())

    def batch_counts(self, batch_size):
        """Return a batch's rows per cell and source, ``(n_classes, n_groups, 2)``.

        Counts are rounded, and every pool gives at least one row, so that the
        hypergradient has a loss for every ratio.
        """
        counts = np.rint(self.batch_shares() * batch_size).astype(np.int64)
        return np.where(self.sources(), np.maximum(counts, 1), 0)

    def hypergradient_step(self, alignments):
        """Take one Adam step on the logits from the hypergradient.

        Parameters
        ----------
        alignments : array-like of shape (n_classes, n_groups, 2)
            ``g_out · ∇ℓ_c`` of each pool, 0 where a pool has no rows (see
            :meth:`hypergradient`).
        """
        grad_lambda, grad_mu = self.hypergradient(alignments)
        step = self._adam(np.stack([grad_lambda, grad_mu]))
        self.lambda_logits = self.lambda_logits - step[0]
        self.mu_logits = self.mu_logits - step[1]

    def hypergradient(self, alignments):
        """Return the outer objective's gradient in the λ and μ logits.

        With the identity in place of the inverse Hessian, the implicit function
        theorem gives ``d outer / d a_c = -g_out · ∇ℓ_c``, where ``a_c`` is a
        pool's share of the batch (:meth:`batch_shares`) and ``g_out · ∇ℓ_c`` the
        alignment of the outer objective's gradient with the pool's loss
        gradient: a pool whose rows lower the outer objective gets a larger
        share.

        Parameters
        ----------
        alignments : array-like of shape (n_classes, n_groups, 2)
            ``g_out · ∇ℓ_c`` of each pool, 0 where a pool has no rows.

        Returns
        -------
        grad_lambda, grad_mu : ndarray of shape (n_classes, n_groups)
            Gradients in the λ and μ logits; ``grad_mu`` is 0 in cells
            without generated rows.
        """
        d = np.asarray(alignments, dtype=np.float64)
        lam, mu = self.lambdas(), self.mus()
        label = self.label_shares[:, None]
        # Chain rule through a_real = λ μ p and a_gen = λ (1 - μ) p, then through
        # the softmax (λ) and the sigmoid (μ).
        per_lambda = label * (mu * d[..., 0] + (1 - mu) * d[..., 1])
        grad_lambda = -lam * (per_lambda - (lam * per_lambda).sum(1, keepdims=True))
        grad_mu = -lam * label * (d[..., 0] - d[..., 1]) * mu * (1 - mu)
        return grad_lambda, np.where(self.has_generated, grad_mu, 0.0)

    def _adam(self, grad):
        """Return Adam's step for ``grad`` (Kingma & Ba, with bias correction)."""
        (beta1, beta2), moments = _BETAS, self._moments
        self._steps += 1
        moments[0] = beta1 * moments[0] + (1 - beta1) * grad
        moments[1] = beta2 * moments[1] + (1 - beta2) * grad**2
        mean = moments[0] / (1 - beta1**self._steps)
        var = moments[1] / (1 - beta2**self._steps)
        return self.lr * mean / (np.sqrt(var) + _EPS)

    def fairbatch_step(self, group_losses, fairness, alpha):
        """Move ``λ`` by ``alpha`` toward the worse-off group (FairBatch's rule).

        Parameters
        ----------
        group_losses : array-like of shape (n_classes, n_groups)
            Per cell loss on the true label (``equalized_odds``,
            ``equal_opportunity``); for ``demographic_parity``, the loss of
            predicting the positive label.
        fairness : {"equalized_odds", "equal_opportunity", "demographic_parity"}
            Which labels move: every label, the positive one, or every label in
            opposite directions (more positives for the group predicted
            positive least, fewer negatives).
        alpha : float
            Step size on ``λ``.
        """
        lam = self.lambdas()
        losses = np.asarray(group_losses, dtype=np.float64)
        if fairness == "equalized_odds":
            # The disparity is the largest gap over labels: only that label's
            # λ is in its (sub)gradient, so only it moves.
            y = int((losses.max(1) - losses.min(1)).argmax())
            lam[y] = _move_toward(lam[y], int(losses[y].argmax()), alpha)
        elif fairness == "equal_opportunity":
            lam[-1] = _move_toward(lam[-1], int(losses[-1].argmax()), alpha)
        else:
            group_loss = (losses * self.label_given_group()).sum(0)
            worst = int(group_loss.argmax())
            lam[-1] = _move_toward(lam[-1], worst, alpha)
            lam[0] = _move_toward(lam[0], worst, -alpha)
        self.lambda_logits = np.log(lam)

    def label_given_group(self):
        """Return ``P(y | z)`` of the real rows, shape ``(n_classes, n_groups)``."""
        return self.cell_shares / np.maximum(
            self.cell_shares.sum(0, keepdims=True), 1e-12
        )

    def snapshot(self):
        """Return ``λ`` and ``μ`` as nested lists (one history row)."""
        return {"lambda": self.lambdas().tolist(), "mu": self.mus().tolist()}


def _initial_lambdas(counts, lambda_init):
    if lambda_init == "parity":
        shares = np.tile(counts.sum(0) / counts.sum(), (counts.shape[0], 1))
    else:
        shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    shares = np.maximum(shares, _MIN_LAMBDA)
    return shares / shares.sum(1, keepdims=True)


def _move_toward(lam, group, alpha):
    """Add ``alpha`` to one group's λ, take it from the others in proportion."""
    others = np.ones(len(lam), dtype=bool)
    others[group] = False
    moved = lam.copy()
    moved[group] = lam[group] + alpha
    rest = lam[others].sum()
    if rest > 0:
        moved[others] = lam[others] - alpha * lam[others] / rest
    moved = np.maximum(moved, _MIN_FAIRBATCH_LAMBDA)
    return moved / moved.sum()
