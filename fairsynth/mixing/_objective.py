"""Per-cell losses and Dr-Fairness's outer objective."""

import contextlib

import torch
from torch import nn

FAIRNESS = ("equalized_odds", "equal_opportunity", "demographic_parity")
NO_LINEAR = (
    "the module's last torch.nn.Linear layer has {n} outputs; the ratio updates "
    "need a module whose last layer is a torch.nn.Linear returning one logit."
)


def last_linear(module):
    """Return the last :class:`torch.nn.Linear` of ``module`` (its output layer)."""
    layers = [layer for layer in module.modules() if isinstance(layer, nn.Linear)]
    if not layers or layers[-1].out_features != 1:
        raise ValueError(NO_LINEAR.format(n=layers[-1].out_features if layers else 0))
    return layers[-1]


@contextlib.contextmanager
def capture(layer):
    """Keep the input and output of ``layer``'s next forward pass in a dict."""
    seen = {}

    def hook(_, inputs, output):
        seen["input"], seen["output"] = inputs[0], output

    handle = layer.register_forward_hook(hook)
    try:
        yield seen
    finally:
        handle.remove()


def cell_means(values, cells, n_cells):
    """Mean of ``values`` over the rows of each cell (0 for an empty cell)."""
    sums = torch.zeros(n_cells, dtype=values.dtype, device=values.device)
    sums = sums.index_add(0, cells, values)
    counts = torch.bincount(cells, minlength=n_cells).clamp(min=1)
    return sums / counts.to(values.dtype)


def group_losses(loss_true, loss_positive, fairness, label_given_group):
    """Return the losses whose gap between groups the fairness variant measures.

    Parameters
    ----------
    loss_true, loss_positive : torch.Tensor of shape (n_classes, n_groups)
        Per cell mean loss on the true label, and of predicting the positive one.
    fairness : str
        One of :data:`FAIRNESS`.
    label_given_group : torch.Tensor of shape (n_classes, n_groups)
        ``P(y | z)`` of the real rows.

    Returns
    -------
    torch.Tensor of shape (n_rows, n_groups)
        One row per label compared (every label for equalized odds, the positive
        one for equal opportunity), or one row of group losses (demographic
        parity: the loss of predicting positive, averaged over the group).
    """
    if fairness == "equalized_odds":
        return loss_true
    if fairness == "equal_opportunity":
        return loss_true[-1:]
    return (loss_positive * label_given_group).sum(0, keepdim=True)


def outer_objective(loss_true, loss_positive, fairness, cell_shares, k):
    """Dr-Fairness's outer objective: the largest loss gap plus ``k`` times the loss.

    Parameters
    ----------
    loss_true, loss_positive : torch.Tensor of shape (n_classes, n_groups)
        As in :func:`group_losses`, on validation rows.
    fairness : str
        One of :data:`FAIRNESS`.
    cell_shares : torch.Tensor of shape (n_classes, n_groups)
        The real cells' shares of the rows, which weigh the loss term.
    k : float
        Weight of the loss term.

    Returns
    -------
    objective, gap : torch.Tensor
        Scalars; ``gap`` is the largest gap between groups within a label.
    """
    conditional = cell_shares / cell_shares.sum(0, keepdim=True).clamp(min=1e-12)
    losses = group_losses(loss_true, loss_positive, fairness, conditional)
    gap = (losses.max(dim=1).values - losses.min(dim=1).values).max()
    accuracy = (cell_shares * loss_true).sum()
    return gap + k * accuracy, gap


def outer_gradient(hidden, logits, labels, cells, d_true, d_positive):
    """Return the outer objective's gradient in the last layer, in closed form.

    The outer objective reads the validation rows through the cell means of
    their logistic losses on the true and on the positive label. A row of cell
    ``c`` (``n_c`` rows) has last-layer gradient ``(sigmoid(z) - y) (h, 1)`` on
    the first and ``(sigmoid(z) - 1) (h, 1)`` on the second, so the gradient is
    a weighted sum of the rows' ``(h, 1)``, with no backward pass through the
    network.

    Parameters
    ----------
    hidden : torch.Tensor of shape (n_rows, n_inputs)
        The last layer's inputs ``h`` on the validation rows.
    logits, labels : torch.Tensor of shape (n_rows,)
        Its outputs ``z`` and the rows' labels (0 or 1).
    cells : torch.Tensor of int of shape (n_rows,)
        Each row's cell.
    d_true, d_positive : torch.Tensor of shape (n_classes, n_groups)
        The outer objective's derivatives in the cell losses on the true and
        on the positive label; ``d_positive`` is None when the objective does
        not read the latter (equalized odds, equal opportunity).

    Returns
    -------
    weight, bias : torch.Tensor of shapes (1, n_inputs) and (1,)
        The gradient in the layer's weight and bias.
    """
    d_true = d_true.reshape(-1)
    counts = torch.bincount(cells, minlength=len(d_true)).clamp(min=1)
    sigma = torch.sigmoid(logits)
    per_row = d_true[cells] * (sigma - labels.to(logits.dtype))
    if d_positive is not None:
        per_row = per_row + d_positive.reshape(-1)[cells] * (sigma - 1)
    per_row = per_row / counts[cells].to(logits.dtype)
    return (per_row @ hidden).reshape(1, -1), per_row.sum().reshape(1)


def pool_alignments(hidden, logits, labels, pools, n_pools, grads):
    """Return ``g_out · ∇ℓ`` averaged over each pool's rows, on the last layer.

    For the logistic loss, a row's gradient in the last layer's weight and bias
    is ``(sigmoid(z) - y) (h, 1)``, so the dot product with ``g_out`` needs no
    per-row backward pass.

    Parameters
    ----------
    hidden : torch.Tensor of shape (n_rows, n_inputs)
        The last layer's inputs ``h``.
    logits, labels : torch.Tensor of shape (n_rows,)
        Its outputs ``z`` and the rows' labels (0 or 1).
    pools : torch.Tensor of int of shape (n_rows,)
        Each row's pool.
    n_pools : int
        Number of pools.
    grads : sequence of torch.Tensor
        ``g_out``: the outer objective's gradient in the weight, then the bias
        (if the layer has one).

    Returns
    -------
    torch.Tensor of shape (n_pools,)
        0 for a pool without rows.
    """
    projected = hidden @ grads[0].reshape(-1)
    if len(grads) > 1:
        projected = projected + grads[1].reshape(())
    delta = torch.sigmoid(logits) - labels.to(logits.dtype)
    return cell_means(delta * projected, pools, n_pools)
