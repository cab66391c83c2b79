"""Finite-difference checks of the ratio updates' directions."""

import numpy as np
import pytest
import torch
from torch import nn

from fairsynth.mixing import MixingRatios
from fairsynth.mixing._objective import (
    cell_means,
    outer_gradient,
    outer_objective,
    pool_alignments,
)

COUNTS = [[30, 10], [10, 10]]
ALL = [[True, True], [True, True]]


def _first_order_outer(ratios, alignments):
    """The outer objective to first order in the batch shares: -Σ a_c d_c."""
    return -(ratios.batch_shares() * alignments).sum()


def test_hypergradient_matches_finite_differences():
    rng = np.random.RandomState(0)
    alignments = rng.normal(size=(2, 2, 2))
    ratios = MixingRatios(COUNTS, has_generated=[[True, True], [True, False]])
    ratios.lambda_logits = ratios.lambda_logits + rng.normal(size=(2, 2))
    ratios.mu_logits = rng.normal(size=(2, 2))
    grad_lambda, grad_mu = ratios.hypergradient(alignments)
    eps = 1e-6
    for name, grad in (("lambda_logits", grad_lambda), ("mu_logits", grad_mu)):
        numeric = np.zeros((2, 2))
        for index in np.ndindex(2, 2):
            logits = getattr(ratios, name)
            values = []
            for sign in (1, -1):
                moved = logits.copy()
                moved[index] += sign * eps
                setattr(ratios, name, moved)
                values.append(_first_order_outer(ratios, alignments))
            setattr(ratios, name, logits)
            numeric[index] = (values[0] - values[1]) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, atol=1e-8)
    # The cell without generated rows has no μ to move.
    assert grad_mu[1, 1] == 0


def _tiny_problem():
    gen = torch.Generator().manual_seed(0)
    layer = nn.Linear(3, 1)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(1, 3, generator=gen))
        layer.bias.fill_(0.1)
    hidden = torch.randn(40, 3, generator=gen)
    labels = (torch.rand(40, generator=gen) < 0.5).long()
    pools = torch.arange(40) % 4
    # Validation rows: 2 labels x 2 groups, 5 rows each (cell = label * 2 + group).
    valid_hidden = torch.randn(20, 3, generator=gen)
    valid_cells = torch.arange(20) % 4
    return layer, hidden, labels, pools, valid_hidden, valid_cells


def _outer(layer, valid_hidden, valid_cells):
    logits = layer(valid_hidden).reshape(-1)
    labels = (valid_cells // 2).to(logits.dtype)
    loss = nn.functional.binary_cross_entropy_with_logits(
        logits, labels, reduction="none"
    )
    sums = torch.zeros(4).index_add(0, valid_cells, loss)
    cell_loss = (sums / torch.bincount(valid_cells, minlength=4)).reshape(2, 2)
    shares = torch.full((2, 2), 0.25)
    return outer_objective(cell_loss, cell_loss, "equalized_odds", shares, 2.0)[0]


def test_pool_alignments_give_the_outer_objective_after_a_step():
    """A step on a pool's loss lowers the outer objective by ε times its alignment.

    That is the hypergradient with the identity for the inverse Hessian: a pool
    with a positive alignment should get more of the batch.
    """
    layer, hidden, labels, pools, valid_hidden, valid_cells = _tiny_problem()
    params = [layer.weight, layer.bias]
    grads = torch.autograd.grad(_outer(layer, valid_hidden, valid_cells), params)
    with torch.no_grad():
        logits = layer(hidden).reshape(-1)
        alignments = pool_alignments(hidden, logits, labels, pools, 4, grads)
    before = _outer(layer, valid_hidden, valid_cells).item()
    eps = 1e-3
    for pool in range(4):
        rows = pools == pool
        loss = nn.functional.binary_cross_entropy_with_logits(
            layer(hidden[rows]).reshape(-1), labels[rows].float()
        )
        pool_grads = torch.autograd.grad(loss, params)
        # The closed form equals autograd's dot product with g_out.
        dot = sum((g * p).sum() for g, p in zip(grads, pool_grads, strict=True))
        torch.testing.assert_close(alignments[pool], dot, rtol=1e-5, atol=1e-7)
        moved = nn.Linear(3, 1)
        with torch.no_grad():
            moved.weight.copy_(layer.weight - eps * pool_grads[0])
            moved.bias.copy_(layer.bias - eps * pool_grads[1])
        change = _outer(moved, valid_hidden, valid_cells).item() - before
        np.testing.assert_allclose(change, -eps * dot.item(), rtol=0.05)


@pytest.mark.parametrize("fairness", ["equalized_odds", "demographic_parity"])
def test_outer_gradient_matches_autograd(fairness):
    # The closed form of the outer objective's last-layer gradient equals
    # autograd's through the logits, for losses on the true and positive label.
    layer, _, _, _, valid_hidden, valid_cells = _tiny_problem()
    labels = valid_cells // 2
    logits = layer(valid_hidden).reshape(-1)
    true, positive = (
        nn.functional.binary_cross_entropy_with_logits(
            logits, target.to(logits.dtype), reduction="none"
        )
        for target in (labels, torch.ones_like(labels))
    )
    losses = [cell_means(v, valid_cells, 4).reshape(2, 2) for v in (true, positive)]
    shares = torch.tensor([[0.4, 0.1], [0.2, 0.3]])
    expected = torch.autograd.grad(
        outer_objective(*losses, fairness, shares, 2.0)[0],
        [layer.weight, layer.bias],
    )
    leaves = [loss.detach().requires_grad_() for loss in losses]
    d_true, d_positive = torch.autograd.grad(
        outer_objective(*leaves, fairness, shares, 2.0)[0], leaves, allow_unused=True
    )
    with torch.no_grad():
        got = outer_gradient(
            valid_hidden, logits, labels, valid_cells, d_true, d_positive
        )
    for g, e in zip(got, expected, strict=True):
        torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-7)


def test_a_step_favours_the_pool_that_lowers_the_outer_objective():
    ratios = MixingRatios(COUNTS, has_generated=ALL)
    alignments = np.zeros((2, 2, 2))
    alignments[0, 1, 1] = 1.0  # the generated rows of (label 0, group b) help
    grad_lambda, grad_mu = ratios.hypergradient(alignments)
    # Gradient descent raises λ of group b under label 0 and lowers its μ.
    assert grad_lambda[0, 1] < 0 < grad_lambda[0, 0]
    assert grad_mu[0, 1] > 0
    np.testing.assert_allclose(grad_lambda[1], 0)
