"""The skorch net that trains on mixed batches and updates the ratios after each."""

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import (
    Callback,
    EpochTimer,
    PassthroughScoring,
    PrintLog,
    ProgressBar,
)
from skorch.utils import to_device
from torch import nn

from ._iterator import CellMixingIterator, RowPools
from ._objective import (
    capture,
    cell_means,
    last_linear,
    outer_gradient,
    outer_objective,
    pool_alignments,
)

MODES = ("drfairness", "fairbatch", "fixed")
HYPERGRADIENT_SAMPLES = ("batch", "all")
# Validation rows per forward pass when FairBatch measures all of them.
_LOSS_CHUNK = 8192


class RatioHistory(Callback):
    """Record ``λ`` and ``μ`` in the net's history at the end of every epoch.

    The ratios before training are kept as ``net.initial_ratios_``.

    Examples
    --------
    >>> from fairsynth import DrFairnessClassifier
    >>> from fairsynth.datasets import make_biased_classification
    >>> X, y = make_biased_classification(200, random_state=0)
    >>> clf = DrFairnessClassifier(
    ...     sensitive="group", mode="fixed", max_epochs=2, random_state=0
    ... ).fit(X, y)
    >>> clf.net_.history[:, "mu"]  # real rows only: every cell is real
    [[[1.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]]]
    """

    def on_train_begin(self, net, **kwargs):
        """Keep the ratios training starts from."""
        net.initial_ratios_ = net.ratios.snapshot()

    def on_epoch_end(self, net, **kwargs):
        """Write ``lambda`` and ``mu`` (nested lists, label then group)."""
        for key, value in net.ratios.snapshot().items():
            net.history.record(key, value)


class MixingNet(NeuralNet):
    """Train a binary classifier on batches mixed by cell, updating the ratios.

    ``X`` is a float32 array of encoded features; ``y`` an int64 array of three
    columns: the label code, the cell (``label * n_groups + group``) and whether
    the row is real (1) or generated (0). Batches come from a
    :class:`CellMixingIterator` over ``ratios``. The ratios move by ``mode``:

    - ``"drfairness"``: after every optimizer step, one Adam step of
      :meth:`MixingRatios.hypergradient_step`, the outer objective's gradient
      taken on the last linear layer only, on a validation batch of
      ``valid_rows_per_cell`` rows of every cell (or on every validation and
      training row, with ``hypergradient_sample="all"``);
    - ``"fairbatch"``: at the start of every epoch, as in FairBatch,
      :meth:`MixingRatios.fairbatch_step` by the loss gaps on every validation
      row;
    - ``"fixed"``: never.

    The validation rows are ``valid_X`` and ``valid_y`` (same layout as ``X``
    and ``y``). Batches are drawn from torch's global generator: the caller
    seeds it around ``fit``.

    Parameters
    ----------
    module : type of torch.nn.Module
        Returns one logit per row; its last :class:`torch.nn.Linear` is the layer
        the hypergradient is restricted to.
    ratios : MixingRatios
        The ratios, shared with the iterator.
    mode : {"drfairness", "fairbatch", "fixed"}
        How the ratios move.
    fairness : {"equalized_odds", "equal_opportunity", "demographic_parity"}
        The gap the updates close.
    k : float
        Weight of the cell-weighted loss in the outer objective.
    fairbatch_alpha : float
        FairBatch's step on ``λ``, once per epoch.
    valid_X, valid_y : ndarray
        Validation rows; needed unless ``mode="fixed"``.
    valid_rows_per_cell : int
        Rows of each cell in a validation batch.
    hypergradient_sample : {"batch", "all"}
        ``"batch"`` measures the hypergradient on a validation batch and on
        probes of the training pools; ``"all"`` on every validation row and
        every training row (exact, and a forward pass over all of them per
        update).

    **kwargs
        Passed to :class:`skorch.NeuralNet`.

    Examples
    --------
    :class:`~fairsynth.DrFairnessClassifier` builds and holds one:

    >>> from fairsynth import DrFairnessClassifier
    >>> from fairsynth.datasets import make_biased_classification
    >>> X, y = make_biased_classification(200, random_state=0)
    >>> clf = DrFairnessClassifier(
    ...     sensitive="group", mode="fairbatch", max_epochs=1, random_state=0
    ... ).fit(X, y)
    >>> type(clf.net_).__name__, clf.net_.ratios.shape
    ('MixingNet', (2, 2))
    """

    def __init__(
        self,
        module,
        *,
        ratios,
        mode="drfairness",
        fairness="equalized_odds",
        k=20.0,
        fairbatch_alpha=0.005,
        valid_X=None,
        valid_y=None,
        valid_rows_per_cell=16,
        hypergradient_sample="batch",
        **kwargs,
    ):
        self.ratios = ratios
        self.mode = mode
        self.fairness = fairness
        self.k = k
        self.fairbatch_alpha = fairbatch_alpha
        self.valid_X = valid_X
        self.valid_y = valid_y
        self.valid_rows_per_cell = valid_rows_per_cell
        self.hypergradient_sample = hypergradient_sample
        kwargs.setdefault("criterion", nn.BCEWithLogitsLoss)
        kwargs.setdefault("criterion__reduction", "none")
        kwargs.setdefault("optimizer", torch.optim.Adam)
        kwargs.setdefault("train_split", None)
        super().__init__(module, **kwargs)

    @property
    def _default_callbacks(self):
        # PrintLog and the progress bar cost time even when silent, so they are
        # only added with verbose.
        callbacks = [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("ratio_history", RatioHistory()),
        ]
        if self.mode == "drfairness":
            # FairBatch records its gap once per epoch, when λ moves.
            callbacks.append(
                ("fair_gap", PassthroughScoring(name="fair_gap", on_train=True))
            )
        if self.verbose:
            callbacks += [("progress_bar", ProgressBar()), ("print_log", PrintLog())]
        return callbacks

    def initialize_module(self):
        """Initialize ``module_`` and check that its last layer gives one logit."""
        super().initialize_module()
        last_linear(self.module_)
        return self

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """Keep each training row's cell and origin, then run skorch's loop."""
        y = np.asarray(y)
        self._train_cells, self._train_real = y[:, 1], y[:, 2].astype(bool)
        if self.mode != "fixed":
            self._valid = (
                torch.as_tensor(self.valid_X, device=self.device),
                torch.as_tensor(self.valid_y, device=self.device),
            )
            self._cell_shares = torch.as_tensor(
                self.ratios.cell_shares, dtype=torch.float32, device=self.device
            )
        if self.mode == "drfairness":
            # Only the hypergradient draws validation batches and training probes;
            # FairBatch measures every validation row.
            n_cells = int(np.prod(self.ratios.shape))
            self._valid_pools = RowPools(self.valid_y[:, 1], n_cells)
            self._train = (
                torch.as_tensor(X, device=self.device),
                torch.as_tensor(y, device=self.device),
            )
            self._train_pools = RowPools(2 * y[:, 1] + (1 - y[:, 2]), 2 * n_cells)
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        finally:
            # Copies of the data: a fitted net pickles without them.
            for name in (
                "_train",
                "_valid",
                "_train_pools",
                "_valid_pools",
                "_cell_shares",
            ):
                self.__dict__.pop(name, None)

    def get_iterator(self, dataset, training=False):
        """Training batches come from a :class:`CellMixingIterator`."""
        if not training:
            return super().get_iterator(dataset, training=False)
        return CellMixingIterator(
            dataset,
            self.batch_size,
            cells=self._train_cells,
            real=self._train_real,
            ratios=self.ratios,
        )

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """Start the epoch's history; FairBatch moves λ once, before its batches."""
        super().on_epoch_begin(net, dataset_train, dataset_valid, **kwargs)
        if self.mode == "fairbatch":
            self._fairbatch_update()

    def train_step(self, batch, **fit_params):
        """Take one optimizer step on the batch, then move the ratios."""
        Xi, yi = (to_device(part, self.device) for part in batch)
        self.module_.train()
        self.optimizer_.zero_grad()
        logits = self.module_(Xi).reshape(-1)
        loss = self.criterion_(logits, yi[:, 0].to(logits.dtype)).mean()
        loss.backward()
        self.optimizer_.step()
        if self.mode == "drfairness":
            self._hypergradient_update()
        return {"loss": loss.detach(), "y_pred": logits.detach()}

    def _draw(self, pools, n_rows, X, y):
        counts = np.where(pools.sizes.numpy() > 0, n_rows, 0)
        index = pools.draw(counts).to(self.device)
        return X[index], y[index]

    def _forward_rows(self, X, y, layer):
        """Eval-mode logits, last-layer inputs and per-row losses of some rows."""
        self.module_.eval()
        with capture(layer) as seen:
            logits = self.module_(X).reshape(-1)
        self.module_.train()
        true = self.criterion_(logits, y[:, 0].to(logits.dtype))
        positive = self.criterion_(logits, torch.ones_like(logits))
        return logits, seen["input"], true, positive

    def _cell_losses(self, y, true, positive):
        """Per cell mean losses on the true and on the positive label."""
        shape, n_cells = self.ratios.shape, int(np.prod(self.ratios.shape))
        return (
            cell_means(true, y[:, 1], n_cells).reshape(shape),
            cell_means(positive, y[:, 1], n_cells).reshape(shape),
        )

    @torch.no_grad()
    def _fairbatch_update(self):
        """One FairBatch update of λ, from the losses of every validation row."""
        Xv, yv = self._valid
        layer = last_linear(self.module_)
        parts = [
            self._forward_rows(X_part, y_part, layer)[2:]
            for X_part, y_part in zip(
                Xv.split(_LOSS_CHUNK), yv.split(_LOSS_CHUNK), strict=True
            )
        ]
        true, positive = (torch.cat(losses) for losses in zip(*parts, strict=True))
        loss_true, loss_positive = self._cell_losses(yv, true, positive)
        losses = loss_positive if self.fairness == "demographic_parity" else loss_true
        self.ratios.fairbatch_step(
            losses.cpu().numpy(), self.fairness, self.fairbatch_alpha
        )
        _, gap = outer_objective(
            loss_true, loss_positive, self.fairness, self._cell_shares, 0.0
        )
        self.history.record("fair_gap", gap.item())

    def _hypergradient_update(self):
        """One Dr-Fairness update of the ratios.

        The outer objective's gradient ``g_out`` on the last layer comes from a
        validation batch; each pool's loss gradient on that layer from a probe of
        half ``valid_rows_per_cell`` of its training rows, drawn apart from the batch
        so that a pool with a small share of the batch is measured as well as
        the others. With ``hypergradient_sample="all"``, both come from every
        row instead. Both go through the network in one forward pass.
        """
        layer = last_linear(self.module_)
        if self.hypergradient_sample == "all":
            (Xv, yv), (Xp, yp) = self._valid, self._train
        else:
            Xv, yv = self._draw(
                self._valid_pools, self.valid_rows_per_cell, *self._valid
            )
            n_probe = max(2, self.valid_rows_per_cell // 2)
            Xp, yp = self._draw(self._train_pools, n_probe, *self._train)
        with torch.no_grad():
            logits, hidden, true, positive = self._forward_rows(
                torch.cat([Xv, Xp]), torch.cat([yv, yp]), layer
            )
        n_valid = len(Xv)
        # The outer objective's derivatives in the cell losses come from
        # autograd on those few numbers; the rows' part is in closed form.
        loss_true, loss_positive = (
            losses.detach().requires_grad_()
            for losses in self._cell_losses(yv, true[:n_valid], positive[:n_valid])
        )
        objective, gap = outer_objective(
            loss_true, loss_positive, self.fairness, self._cell_shares, self.k
        )
        d_true, d_positive = torch.autograd.grad(
            objective, [loss_true, loss_positive], allow_unused=True
        )
        with torch.no_grad():
            grads = outer_gradient(
                hidden[:n_valid],
                logits[:n_valid],
                yv[:, 0],
                yv[:, 1],
                d_true,
                d_positive,
            )
            alignments = pool_alignments(
                hidden[n_valid:],
                logits[n_valid:],
                yp[:, 0],
                2 * yp[:, 1] + (1 - yp[:, 2]),
                2 * int(np.prod(self.ratios.shape)),
                grads if layer.bias is not None else grads[:1],
            )
        self.ratios.hypergradient_step(
            alignments.reshape(*self.ratios.shape, 2).cpu().numpy()
        )
        self.history.record_batch("fair_gap", gap.item())
