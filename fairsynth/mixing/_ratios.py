"""The mixing ratios of every ``(label, group)`` cell, and their two update rules.

``λ_yz`` is the share of group ``z`` among the rows of label ``y`` in a batch (a
softmax over groups within each label); ``μ_yz`` is the share of real rows among the
cell's rows (a sigmoid). A batch of ``B`` rows takes ``λ_yz μ_yz S_y`` real and
``λ_yz (1 - μ_yz) S_y`` generated rows of the cell, with ``S_y = B n_y / n`` (Roh et
al., Dr-Fairness, TMLR 2023).
"""

import numpy as np
import torch
from torch import nn

# Smallest initial λ of a cell: a cell with no real rows still gets a logit that
# can move, instead of log(0).
_MIN_LAMBDA = 1e-3
_MIN_FAIRBATCH_LAMBDA = 1e-4


class MixingRatios(nn.Module):
    """The λ and μ logits of the cells, with a batch composition and updates.

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
    [[17, 6], [7, 7]]
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
        super().__init__()
        counts = np.asarray(cell_counts, dtype=np.float64)
        if has_generated is None:
            has_generated = np.zeros(counts.shape, dtype=bool)
        generated = torch.as_tensor(np.asarray(has_generated, dtype=bool))
        self.register_buffer(
            "label_shares", torch.as_tensor(counts.sum(1) / counts.sum())
        )
        self.register_buffer("cell_shares", torch.as_tensor(counts / counts.sum()))
        self.register_buffer("has_generated", generated)
        self.register_buffer("has_real", torch.as_tensor(counts > 0))
        self.lambda_logits = nn.Parameter(
            torch.log(_initial_lambdas(counts, lambda_init))
        )
        mu = torch.full(counts.shape, float(mu_init), dtype=torch.float64)
        self.mu_logits = nn.Parameter(torch.logit(mu.clamp(1e-6, 1 - 1e-6)))
        self.optimizer = torch.optim.Adam(self.parameters(), lr=lr)

    @property
    def shape(self):
        """``(n_classes, n_groups)``."""
        return tuple(self.lambda_logits.shape)

    def lambdas(self):
        """Return ``λ``, shape ``(n_classes, n_groups)``, each row summing to 1."""
        return torch.softmax(self.lambda_logits, dim=1)

    def mus(self):
        """Return ``μ``, shape ``(n_classes, n_groups)``; 1 without generated rows."""
        mu = torch.sigmoid(self.mu_logits)
        return torch.where(self.has_generated, mu, torch.ones_like(mu))

    def batch_shares(self):
        """Return each cell's share of a batch, shape ``(n_classes, n_groups, 2)``.

        The last axis is ``(real, generated)``; the shares sum to 1 and are
        differentiable in the logits.
        """
        lam, mu = self.lambdas(), self.mus()
        label = self.label_shares[:, None]
        return torch.stack([lam * mu * label, lam * (1 - mu) * label], dim=-1)

    def sources(self):
        """Return which ``(cell, real/generated)`` pools a batch draws from."""
        return torch.stack([self.has_real, self.has_generated], dim=-1)

    def min_batch_size(self):
        """Return the smallest batch that holds one row of every pool."""
        return int(self.sources().sum())

    @torch.no_grad()
    def batch_counts(self, batch_size):
        """Return a batch's rows per cell and source, ``(n_classes, n_groups, 2)``.

        Counts are rounded, and every pool gives at least one row, so that the
        hypergradient has a loss for every ratio.
        """
        counts = torch.round(self.batch_shares() * batch_size).long()
        sources = self.sources()
        return torch.where(
            sources, counts.clamp(min=1), torch.zeros_like(counts)
        ).numpy()

    def hypergradient_step(self, alignments):
        """Take one Adam step on the logits from the hypergradient.

        With the identity in place of the inverse Hessian, the implicit function
        theorem gives ``d outer / d θ = -Σ_c (d a_c / d θ) g_out · ∇ℓ_c``, where
        ``a_c`` is a pool's share of the batch (:meth:`batch_shares`) and
        ``g_out · ∇ℓ_c`` the alignment of the outer objective's gradient with the
        pool's loss gradient: a pool whose rows lower the outer objective gets a
        larger share.

        Parameters
        ----------
        alignments : torch.Tensor of shape (n_classes, n_groups, 2)
            ``g_out · ∇ℓ_c`` of each pool, 0 where a pool has no rows.
        """
        self.optimizer.zero_grad()
        surrogate = -(self.batch_shares() * alignments.to(self.mu_logits)).sum()
        surrogate.backward()
        self.optimizer.step()

    @torch.no_grad()
    def fairbatch_step(self, group_losses, fairness, alpha):
        """Move ``λ`` by ``alpha`` toward the worse-off group (FairBatch's rule).

        Parameters
        ----------
        group_losses : torch.Tensor of shape (n_classes, n_groups)
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
        lam = self.lambdas().clone()
        losses = group_losses.to(lam)
        if fairness == "equalized_odds":
            for y in range(lam.shape[0]):
                lam[y] = _move_toward(lam[y], int(losses[y].argmax()), alpha)
        elif fairness == "equal_opportunity":
            lam[-1] = _move_toward(lam[-1], int(losses[-1].argmax()), alpha)
        else:
            group_loss = (losses * self._conditional_label_shares()).sum(0)
            worst = int(group_loss.argmax())
            lam[-1] = _move_toward(lam[-1], worst, alpha)
            lam[0] = _move_toward(lam[0], worst, -alpha)
        self.lambda_logits.copy_(torch.log(lam))

    def _conditional_label_shares(self):
        """``P(y | z)`` of the real rows, shape ``(n_classes, n_groups)``."""
        return self.cell_shares / self.cell_shares.sum(0, keepdim=True).clamp(min=1e-12)

    def snapshot(self):
        """Return ``λ`` and ``μ`` as nested lists (one history row)."""
        with torch.no_grad():
            return {"lambda": self.lambdas().tolist(), "mu": self.mus().tolist()}


def _initial_lambdas(counts, lambda_init):
    if lambda_init == "parity":
        shares = np.tile(counts.sum(0) / counts.sum(), (counts.shape[0], 1))
    else:
        shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    shares = np.maximum(shares, _MIN_LAMBDA)
    return torch.as_tensor(shares / shares.sum(1, keepdims=True))


def _move_toward(lam, group, alpha):
    """Add ``alpha`` to one group's λ, take it from the others in proportion."""
    others = torch.ones_like(lam, dtype=torch.bool)
    others[group] = False
    moved = lam.clone()
    moved[group] = lam[group] + alpha
    rest = lam[others].sum()
    if rest > 0:
        moved[others] = lam[others] - alpha * lam[others] / rest
    moved = moved.clamp(min=_MIN_FAIRBATCH_LAMBDA)
    return moved / moved.sum()
