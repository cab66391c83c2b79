import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from torch import nn

import fairsynth.gan._net as net_module
from fairsynth.gan import FairGANNet
from fairsynth.gan._batches import cell_weights, validation_split
from fairsynth.nn import Critic, FairnessAdversary, Generator

VOCAB_SIZES = [3, 4]


def make_net(**params):
    sizes = {"d_model": 8, "n_heads": 2, "n_layers": 1, "dim_feedforward": 16}
    defaults = {"max_epochs": 2, "batch_size": 16, "verbose": 0, "lr": 1e-2}
    return FairGANNet(
        module=Generator,
        module__vocab_sizes=VOCAB_SIZES,
        module__cardinalities=[2, 2],
        **{f"module__{k}": v for k, v in sizes.items()},
        critic=Critic,
        critic__vocab_sizes=VOCAB_SIZES,
        critic__cardinalities=[2, 2],
        **{f"critic__{k}": v for k, v in sizes.items()},
        adversary=FairnessAdversary,
        adversary__n_features=sum(VOCAB_SIZES),
        adversary__n_classes=2,
        adversary__n_groups=2,
        adversary__hidden=8,
        **{**defaults, **params},
    )


def make_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    group, label = rng.integers(0, 2, n), rng.integers(0, 2, n)
    # Tokens that depend on the cell, so that there is something to learn.
    tokens = np.column_stack(
        [(group + label + rng.integers(0, 2, n)) % 3, rng.integers(0, 4, n)]
    )
    data = {"tokens": tokens, "codes": np.column_stack([group, label]), "group": group}
    return data, group * 2 + label


@pytest.fixture(scope="module")
def data():
    return make_data()


def test_three_modules_three_optimizers(data):
    net = make_net().fit(*data)
    groups = [net.optimizer_, net.optimizer_critic_, net.optimizer_adversary_]
    modules = [net.module_, net.critic_, net.adversary_]
    for optimizer, module in zip(groups, modules, strict=True):
        assert {id(p) for p in optimizer.param_groups[0]["params"]} == {
            id(p) for p in module.parameters()
        }


def test_weight_average_leaves_the_initial_weights_within_a_short_fit(data):
    # 4 steps an epoch, 10 epochs: 40 steps. A plain 0.995 average would still be
    # 0.995**40 = 82 % initial weights; the warm-up leaves none of them.
    torch.manual_seed(0)
    net = make_net(max_epochs=10, validation_fraction=0, adversarial_epochs=0)
    net.initialize()
    initial = [p.detach().clone() for p in net.module_.parameters()]
    net.partial_fit(*data)
    assert net.average_steps_ == 40
    pairs = zip(
        initial,
        net.generator_average_.parameters(),
        net.module_.parameters(),
        strict=True,
    )
    for start, average, current in pairs:
        travelled = (current - start).norm()
        if travelled > 0:
            assert (average - current).norm() < 0.5 * travelled


@pytest.mark.parametrize("decay", [0.0, 0.9])
def test_generator_average_trails_the_generator(data, decay):
    # The adversarial epoch starts both from the best average, then moves them.
    net = make_net(average_decay=decay, validation_fraction=0).fit(*data)
    pairs = list(
        zip(net.generator_average_.parameters(), net.module_.parameters(), strict=True)
    )
    gaps = [
        float((average - current).abs().max().detach()) for average, current in pairs
    ]
    assert (max(gaps) == 0) == (decay == 0)
    assert not any(average.requires_grad for average, _ in pairs)


class LinearCritic(nn.Module):
    def __init__(self, weight):
        super().__init__()
        self.weight = nn.Parameter(weight)

    def forward(self, x, codes):
        return x @ self.weight


def test_gradient_penalty_of_a_linear_critic(data):
    net = make_net().initialize()
    weight = torch.tensor([0.5, -1.0, 2.0, 0.0, 1.0, 0.5, -0.5])
    net.critic_ = LinearCritic(weight)
    real, fake = torch.rand(10, 7), torch.rand(10, 7)
    penalty = net.gradient_penalty(real, fake, torch.zeros(10, 2, dtype=torch.long))
    # The gradient of x @ w is w everywhere.
    expected = (weight.norm() - 1) ** 2
    torch.testing.assert_close(penalty, expected)


class ConstantAdversary(nn.Module):
    n_groups = 2

    def __init__(self, probabilities):
        super().__init__()
        self.logits = torch.log(torch.tensor(probabilities))

    def forward(self, x, label):
        return self.logits.expand(len(x), -1)


def test_fairness_penalty_is_zero_at_the_prior(data):
    net = make_net().initialize()
    group = torch.tensor([0, 0, 0, 1])  # prior (0.75, 0.25)
    fake, codes = torch.rand(4, 7), torch.zeros(4, 2, dtype=torch.long)
    net.adversary_ = ConstantAdversary([0.75, 0.25])
    assert float(net.fairness_penalty(fake, codes, group)) == pytest.approx(0, abs=1e-6)
    net.adversary_ = ConstantAdversary([0.5, 0.5])
    assert float(net.fairness_penalty(fake, codes, group)) > 0.1


class BatchSpy(FairGANNet):
    """Records the real rows each critic step and adversary step is given."""

    def critic_step(self, batch):
        self.seen.append(("critic", batch["tokens"].clone()))
        return super().critic_step(batch)

    def generated_rows(self, codes):
        self.seen.append(("generated", codes.clone()))
        return super().generated_rows(codes)

    def adversarial_step(self, batch, **fit_params):
        self.n_batches = len(self.batches_)
        return super().adversarial_step(batch, **fit_params)


def test_every_critic_and_adversary_step_gets_a_fresh_batch():
    data, cells = make_data(n=400)
    net = make_net(critic_steps=3, adversary_steps=2, batch_size=64, max_epochs=1)
    net.__class__ = BatchSpy
    net.seen = []
    net.fit(data, cells)
    critic = [rows for kind, rows in net.seen if kind == "critic"]
    generated = [codes for kind, codes in net.seen if kind == "generated"]
    # 3 critic steps and 2 adversary draws per generator update (the critic step
    # draws generated rows of its own too).
    assert len(critic) == 3 * net.n_batches
    for first, second in zip(critic[:-1], critic[1:], strict=True):
        assert not torch.equal(first, second)
    adversary_codes = [codes for i, codes in enumerate(generated) if i % 5 >= 3]
    assert not torch.equal(adversary_codes[0], adversary_codes[1])


def test_early_stopping_keeps_the_best_epoch(monkeypatch):
    data, cells = make_data(n=200, seed=1)
    held_out = np.zeros(200, dtype=bool)
    held_out[::5] = True
    monkeypatch.setattr(net_module, "validation_split", lambda cells, f: held_out)
    net = make_net(
        max_epochs=60, n_iter_no_change=3, adversarial_epochs=0, lr=0.05
    ).fit(data, cells)
    losses = net.history[:, "valid_loss"]
    assert len(losses) < 60
    assert int(np.argmin(losses)) == len(losses) - 4
    valid = {
        key: torch.as_tensor(np.asarray(value)[held_out]) for key, value in data.items()
    }
    with torch.no_grad():
        restored = float(net.negative_log_likelihood(net.generator_average_, valid))
    assert restored == pytest.approx(min(losses), rel=1e-5)


def test_losses_recorded_once_per_epoch(data):
    net = make_net().fit(*data)
    assert list(net.history[:, "phase"]) == ["likelihood", "likelihood", "adversarial"]
    for key in ("train_loss", "valid_loss"):
        assert np.isfinite(net.history[:, key]).all()
    last = net.history[-1]
    for key in ("critic_loss", "adversary_loss", "fairness_penalty"):
        assert np.isfinite(last[key])
    assert all(batch == {} for batch in last["batches"])


class Interrupt(Callback):
    def on_batch_end(self, net, **kwargs):
        raise KeyboardInterrupt


def test_a_fitted_net_keeps_no_training_rows(data):
    net = make_net().fit(*data)
    assert not hasattr(net, "batches_")


def test_interrupt_propagates(data):
    with pytest.raises(KeyboardInterrupt):
        make_net(callbacks=[Interrupt()]).fit(*data)


def test_submodule_params_reachable(data):
    net = make_net().set_params(critic__d_model=16, critic__n_heads=4)
    net.fit(*data)
    assert net.critic_.column_embedding.shape[1] == 16


def test_sample_tokens(data):
    net = make_net().fit(*data)
    codes = np.zeros((10, 2), dtype=np.int64)
    drawn = net.sample_tokens(codes, np.random.default_rng(0).random((10, 2)))
    assert drawn.shape == (10, 2) and drawn.dtype == np.int64
    assert (drawn < VOCAB_SIZES).all() and (drawn >= 0).all()


def test_encoded_tokens_sample_back_in_batches(data):
    net = make_net().fit(*data)
    tokens, codes = data[0]["tokens"], data[0]["codes"]
    latents = net.encode_tokens(tokens, codes, batch_size=7)
    assert latents.shape == tokens.shape and latents.dtype == np.float32
    np.testing.assert_array_equal(net.sample_tokens(codes, latents), tokens)
    assert net.encode_tokens(tokens[:0], codes[:0]).shape == (0, 2)


def test_validation_split_holds_out_a_share_of_every_cell():
    cells = np.repeat([0, 1, 2], [50, 20, 5])
    torch.manual_seed(0)
    held_out = validation_split(cells, 0.1)
    assert [held_out[cells == c].sum() for c in range(3)] == [5, 2, 0]


def test_cell_weights_follow_tempered_marginals():
    group = torch.tensor([0] * 90 + [1] * 10)
    label = torch.tensor(([0] * 45 + [1] * 45) + ([0] * 9 + [1]))
    weights = cell_weights(group, label)
    share_group_1 = weights[group == 1].sum() / weights.sum()
    # sqrt-tempered: 10**0.5 / (90**0.5 + 10**0.5) = 0.25, well above 10 %.
    assert share_group_1 == pytest.approx(0.25, abs=1e-6)
    # Labels keep their marginal inside every group: the label is independent.
    within = weights[(group == 1) & (label == 1)].sum() / weights[group == 1].sum()
    assert within == pytest.approx(float((label == 1).float().mean()), abs=1e-6)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_says_what_to_do():
    from fairsynth.gan import resolve_device

    with pytest.raises(ValueError, match="finds no CUDA device.*device='cpu'"):
        resolve_device("cuda")
