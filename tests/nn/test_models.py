import pytest
import torch

from fairsynth.nn import (
    BlockDiagonalLinear,
    Critic,
    FairnessAdversary,
    Generator,
    TransformerBlock,
)

WIDTHS, KINDS = [1, 3, 1, 4], ["numeric", "categorical", "numeric", "categorical"]
CARDINALITIES = [2, 3]
SIZES = {"d_model": 8, "n_heads": 2, "n_layers": 1, "dim_feedforward": 16}


def codes(n):
    return torch.stack([torch.randint(0, k, (n,)) for k in CARDINALITIES], dim=1)


def test_block_diagonal_linear_keeps_blocks_apart():
    layer = BlockDiagonalLinear([2, 3], [4, 1])
    x = torch.randn(5, 5, requires_grad=True)
    (grad,) = torch.autograd.grad(layer(x)[:, :4].sum(), x)
    # The first output block depends on the first input block only.
    assert grad[:, 2:].abs().sum() == 0 and grad[:, :2].abs().sum() > 0


def test_generator_activations_per_block():
    generator = Generator(WIDTHS, KINDS, CARDINALITIES, noise_dim=4, **SIZES)
    raw = generator(torch.randn(6, 4), codes(6))
    assert raw.shape == (6, sum(WIDTHS))
    out = generator.activate(raw, tau=0.5)
    numeric, first_category, second_category = out[:, [0, 4]], out[:, 1:4], out[:, 5:]
    assert numeric.abs().max() <= 1
    torch.testing.assert_close(first_category.sum(1), torch.ones(6))
    torch.testing.assert_close(second_category.sum(1), torch.ones(6))
    torch.testing.assert_close(first_category, first_category.round())


def test_gumbel_argmax_draws_from_the_softmax():
    generator = Generator(WIDTHS, KINDS, CARDINALITIES, noise_dim=4, **SIZES)
    raw = torch.zeros(20_000, sum(WIDTHS))
    raw[:, 1:4] = torch.log(torch.tensor([0.2, 0.3, 0.5]))
    torch.manual_seed(0)
    draws = generator.gumbel_logits(raw)[:, 1:4].argmax(1)
    shares = torch.bincount(draws, minlength=3) / len(draws)
    torch.testing.assert_close(shares, torch.tensor([0.2, 0.3, 0.5]), atol=0.02, rtol=0)
    assert torch.equal(generator.gumbel_logits(raw)[:, 0], torch.zeros(20_000))


def test_critic_and_adversary_shapes():
    critic = Critic(WIDTHS, CARDINALITIES, **SIZES)
    x = torch.randn(7, sum(WIDTHS))
    assert critic(x, codes(7)).shape == (7,)
    adversary = FairnessAdversary(sum(WIDTHS), n_classes=3, n_groups=2, hidden=8)
    assert adversary(x, torch.randint(0, 3, (7,))).shape == (7, 2)


def test_critic_differentiates_twice():
    # The gradient penalty needs the gradient of a gradient.
    critic = Critic(WIDTHS, CARDINALITIES, **SIZES)
    x = torch.randn(4, sum(WIDTHS), requires_grad=True)
    (grad,) = torch.autograd.grad(critic(x, codes(4)).sum(), x, create_graph=True)
    grad.norm().backward()
    assert critic.transformer[0].qkv.weight.grad.abs().sum() > 0


def test_empty_batch():
    generator = Generator(WIDTHS, KINDS, CARDINALITIES, noise_dim=4, **SIZES)
    assert generator(torch.randn(0, 4), codes(0)).shape == (0, sum(WIDTHS))


def test_heads_must_divide_width():
    with pytest.raises(ValueError, match="not divisible"):
        TransformerBlock(d_model=10, n_heads=3, dim_feedforward=8)
