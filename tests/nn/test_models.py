import pytest
import torch
from torch.nn import functional as F

from fairsynth.nn import (
    BlockDiagonalLinear,
    Critic,
    FairnessAdversary,
    Generator,
    KeyValueCache,
    TransformerBlock,
)
from fairsynth.nn._models import posterior_gumbel_noise

VOCAB_SIZES = [3, 2, 4]
CARDINALITIES = [2, 3]
SIZES = {"d_model": 8, "n_heads": 2, "n_layers": 2, "dim_feedforward": 16}


def codes(n):
    return torch.stack([torch.randint(0, k, (n,)) for k in CARDINALITIES], dim=1)


def tokens(n):
    return torch.stack([torch.randint(0, v, (n,)) for v in VOCAB_SIZES], dim=1)


@pytest.fixture
def generator():
    torch.manual_seed(0)
    return Generator(VOCAB_SIZES, CARDINALITIES, **SIZES).eval()


def test_block_diagonal_linear_keeps_blocks_apart():
    layer = BlockDiagonalLinear([2, 3], [4, 1])
    x = torch.randn(5, 5, requires_grad=True)
    (grad,) = torch.autograd.grad(layer(x)[:, :4].sum(), x)
    # The first output block depends on the first input block only.
    assert grad[:, 2:].abs().sum() == 0 and grad[:, :2].abs().sum() > 0


def test_logits_per_column(generator):
    logits = generator(tokens(6), codes(6))
    assert [tuple(block.shape) for block in logits] == [(6, v) for v in VOCAB_SIZES]


def test_each_column_reads_only_the_columns_before_it(generator):
    rows, cells = tokens(4), codes(4)
    changed = rows.clone()
    changed[:, 1] = (rows[:, 1] + 1) % VOCAB_SIZES[1]
    before, after = generator(rows, cells), generator(changed, cells)
    torch.testing.assert_close(before[0], after[0])
    torch.testing.assert_close(before[1], after[1])
    assert not torch.allclose(before[2], after[2])


def test_log_likelihood_adds_up_the_columns(generator):
    rows, cells = tokens(5), codes(5)
    logits = generator(rows, cells)
    expected = sum(
        F.log_softmax(block, 1).gather(1, rows[:, j : j + 1])[:, 0]
        for j, block in enumerate(logits)
    )
    torch.testing.assert_close(generator.log_likelihood(rows, cells), expected)


def test_token_by_token_decoding_matches_the_full_pass(generator):
    # The KV-cached steps must see what the causal full pass sees: each drawn
    # token is where its uniform falls in the full pass's distribution.
    cells, uniforms = codes(50), torch.rand(50, len(VOCAB_SIZES))
    with torch.no_grad():
        drawn = generator.sample(cells, uniforms)
        full = generator(drawn, cells)
    for j, logits in enumerate(full):
        cumulative = torch.softmax(logits, 1).cumsum(1)
        expected = torch.searchsorted(cumulative, uniforms[:, j : j + 1].contiguous())
        torch.testing.assert_close(
            drawn[:, j], expected[:, 0].clamp(max=VOCAB_SIZES[j] - 1)
        )


def test_steps_with_and_without_gradients_agree():
    # Training steps through concatenated keys, sampling through batch-last
    # buffers: both must be the same attention.
    torch.manual_seed(0)
    block = TransformerBlock(8, 2, 16, causal=True)
    tokens = torch.randn(5, 4, 8)
    caches = KeyValueCache(capacity=4), KeyValueCache(capacity=4)
    for j in range(4):
        with torch.no_grad():
            buffered = block.step(tokens[:, j], caches[0])
        concatenated = block.step(tokens[:, j], caches[1])
        assert concatenated.requires_grad
        torch.testing.assert_close(buffered, concatenated.detach())


def test_sampling_follows_the_generator_distribution(generator):
    torch.manual_seed(1)
    cells = codes(1).repeat(20_000, 1)
    with torch.no_grad():
        drawn = generator.sample(cells, torch.rand(20_000, len(VOCAB_SIZES)))
        expected = torch.softmax(generator(drawn[:1], cells[:1])[0], 1)[0]
    shares = torch.bincount(drawn[:, 0], minlength=VOCAB_SIZES[0]) / 20_000
    torch.testing.assert_close(shares, expected, atol=0.015, rtol=0)


def test_same_uniforms_same_rows(generator):
    cells, uniforms = codes(10), torch.rand(10, len(VOCAB_SIZES))
    with torch.no_grad():
        assert torch.equal(
            generator.sample(cells, uniforms), generator.sample(cells, uniforms)
        )


def test_encoding_a_row_and_sampling_its_latent_gives_the_row_back(generator):
    torch.manual_seed(2)
    cells, rows = codes(200), tokens(200)
    with torch.no_grad():
        latents = generator.encode(rows, cells)
        assert ((latents > 0) & (latents < 1)).all()
        assert torch.equal(generator.sample(cells, latents), rows)


def test_posterior_noise_keeps_the_observed_token_and_the_prior_on_average():
    generator = torch.Generator().manual_seed(0)
    log_p = torch.log_softmax(torch.tensor([[2.0, 0.0, -1.0, -torch.inf]]), 1)
    n = 200_000
    observed = torch.multinomial(log_p.exp(), n, replacement=True, generator=generator)
    noise = posterior_gumbel_noise(log_p.expand(n, 4), observed[0], generator)
    assert torch.equal((log_p + noise).argmax(1), observed[0])
    # Averaged over the observed tokens, the posterior is the prior: each token's
    # noise is a standard Gumbel, of mean Euler's constant.
    torch.testing.assert_close(
        noise.mean(0), torch.full((4,), 0.5772), atol=0.01, rtol=0
    )


def test_a_counterfactual_in_the_same_cell_is_the_row(generator):
    cells, rows = codes(200), tokens(200)
    with torch.no_grad():
        assert torch.equal(generator.counterfactual(rows, cells, cells), rows)


def test_counterfactuals_follow_the_twin_cells_distribution(generator):
    # Over rows drawn in one cell, the twins of a first column are distributed as
    # that column is in the twin cell: the noise's posterior averages to its prior.
    torch.manual_seed(3)
    n = 50_000
    source, twin = codes(1).repeat(n, 1), (codes(1) + 1).remainder(2).repeat(n, 1)
    with torch.no_grad():
        rows = generator.sample(source, torch.rand(n, len(VOCAB_SIZES)))
        twins = generator.counterfactual(rows, source, twin)
        expected = torch.softmax(generator(twins[:1], twin[:1])[0], 1)[0]
    shares = torch.bincount(twins[:, 0], minlength=VOCAB_SIZES[0]) / n
    torch.testing.assert_close(shares, expected, atol=0.015, rtol=0)


def test_straight_through_gradient_reaches_the_generator():
    torch.manual_seed(0)
    generator = Generator(VOCAB_SIZES, CARDINALITIES, **SIZES)
    rows = generator.sample_relaxed(codes(16), tau=0.5)
    assert rows.shape == (16, sum(VOCAB_SIZES))
    # Forward, every column's block is one-hot.
    blocks = rows.split(VOCAB_SIZES, dim=1)
    for block in blocks:
        torch.testing.assert_close(block.sum(1), torch.ones(16))
        torch.testing.assert_close(block, block.round())
    # Backward, a loss on one categorical block reaches the first column's head
    # and the embeddings the later columns read.
    weights = torch.randn(VOCAB_SIZES[-1])
    (blocks[-1] * weights).sum().backward()
    assert generator.heads[-1].weight.grad.abs().sum() > 0
    assert generator.heads[0].weight.grad.abs().sum() > 0
    assert generator.token_embedding.weight.grad.abs().sum() > 0


def test_critic_and_adversary_shapes():
    critic = Critic(VOCAB_SIZES, CARDINALITIES, **SIZES)
    x = torch.randn(7, sum(VOCAB_SIZES))
    assert critic(x, codes(7)).shape == (7,)
    adversary = FairnessAdversary(sum(VOCAB_SIZES), n_classes=3, n_groups=2, hidden=8)
    assert adversary(x, torch.randint(0, 3, (7,))).shape == (7, 2)


def test_critic_differentiates_twice():
    # The gradient penalty needs the gradient of a gradient.
    critic = Critic(VOCAB_SIZES, CARDINALITIES, **SIZES)
    x = torch.randn(4, sum(VOCAB_SIZES), requires_grad=True)
    (grad,) = torch.autograd.grad(critic(x, codes(4)).sum(), x, create_graph=True)
    grad.norm().backward()
    assert critic.transformer[0].qkv.weight.grad.abs().sum() > 0


def test_empty_batch(generator):
    with torch.no_grad():
        drawn = generator.sample(codes(0), torch.rand(0, len(VOCAB_SIZES)))
    assert drawn.shape == (0, len(VOCAB_SIZES))


def test_heads_must_divide_width():
    with pytest.raises(ValueError, match="not divisible"):
        TransformerBlock(d_model=10, n_heads=3, dim_feedforward=8)


def test_tokens_the_cell_rules_out_are_never_drawn():
    allowed = torch.ones(sum(CARDINALITIES), sum(VOCAB_SIZES), dtype=torch.bool)
    allowed[:, 1] = False  # the first column's token 1, never seen
    allowed[0, 3:5] = torch.tensor([True, False])  # value 0 of the first variable
    torch.manual_seed(0)
    generator = Generator(VOCAB_SIZES, CARDINALITIES, **SIZES, allowed=allowed)
    cells = codes(2000)
    with torch.no_grad():
        drawn = generator.sample(cells, torch.rand(2000, len(VOCAB_SIZES)))
        relaxed = generator.sample_relaxed(cells, tau=0.5)
    assert not (drawn[:, 0] == 1).any()
    assert (drawn[cells[:, 0] == 0, 1] == 0).all()
    assert (drawn[cells[:, 0] == 1, 1] == 1).any()
    assert relaxed[:, 1].sum() == 0
    logits = generator(drawn, cells)
    assert torch.isinf(logits[0][:, 1]).all()
    # Only the columns with a ruled-out token get a mask.
    assert [mask is None for mask in generator.blocked_tokens(cells)] == [
        False,
        False,
        True,
    ]
