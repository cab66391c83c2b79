import numpy as np
import pytest
import torch

from fairsynth.gan import FairGANNet
from fairsynth.gan._net import cell_weights
from fairsynth.nn import CellClassifier, Critic, FairnessAdversary, Generator

WIDTHS, KINDS = [1, 3], ["numeric", "categorical"]


def make_net(**params):
    sizes = {"d_model": 8, "n_heads": 2, "n_layers": 1, "dim_feedforward": 16}
    return FairGANNet(
        module=Generator,
        module__widths=WIDTHS,
        module__kinds=KINDS,
        module__cardinalities=[2, 2],
        module__noise_dim=4,
        **{f"module__{k}": v for k, v in sizes.items()},
        critic=Critic,
        critic__widths=WIDTHS,
        critic__cardinalities=[2, 2],
        **{f"critic__{k}": v for k, v in sizes.items()},
        adversary=FairnessAdversary,
        adversary__n_features=4,
        adversary__n_classes=2,
        adversary__n_groups=2,
        adversary__hidden=8,
        classifier=CellClassifier,
        classifier__n_features=4,
        classifier__n_cells=4,
        classifier__hidden=8,
        max_epochs=2,
        batch_size=16,
        verbose=0,
        **params,
    )


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    group, label = rng.integers(0, 2, 64), rng.integers(0, 2, 64)
    x = np.column_stack([rng.uniform(-1, 1, 64), np.eye(3)[rng.integers(0, 3, 64)]])
    return {
        "x": x.astype(np.float32),
        "codes": np.column_stack([group, label]),
        "group": group,
        "cell": group * 2 + label,
    }


def test_four_modules_four_optimizers(data):
    net = make_net().fit(data, None)
    groups = [
        net.optimizer_,
        net.optimizer_critic_,
        net.optimizer_adversary_,
        net.optimizer_classifier_,
    ]
    modules = [net.module_, net.critic_, net.adversary_, net.classifier_]
    for optimizer, module in zip(groups, modules, strict=True):
        assert {id(p) for p in optimizer.param_groups[0]["params"]} == {
            id(p) for p in module.parameters()
        }


@pytest.mark.parametrize("decay", [0.0, 0.9])
def test_generator_average_trails_the_generator(data, decay):
    net = make_net(average_decay=decay).fit(data, None)
    pairs = list(
        zip(net.generator_average_.parameters(), net.module_.parameters(), strict=True)
    )
    gaps = [
        float((average - current).abs().max().detach()) for average, current in pairs
    ]
    assert (max(gaps) == 0) == (decay == 0)
    assert not any(average.requires_grad for average, _ in pairs)
    assert not set(map(id, net.generator_average_.parameters())) & {
        id(p) for p in net.optimizer_.param_groups[0]["params"]
    }


def test_samples_come_from_the_average(data):
    # With decay 1 the average keeps the initial weights, whatever training does.
    torch.manual_seed(1)
    net = make_net(average_decay=1.0).fit(data, None)
    torch.manual_seed(1)
    initial = make_net(average_decay=1.0).initialize()
    codes = data["codes"][:8].astype(np.int64)
    samples = []
    for model in (net, initial):
        torch.manual_seed(0)
        samples.append(model.sample_encoded(codes))
    np.testing.assert_allclose(samples[0], samples[1])


def test_losses_recorded_per_epoch(data):
    net = make_net().fit(data, None)
    assert len(net.history) == 2
    keys = ("train_loss", "critic_loss", "adversary_loss", "fairness_penalty")
    for key in (*keys, "classifier_loss"):
        assert np.isfinite(net.history[:, key]).all()


def test_submodule_params_reachable(data):
    net = make_net().set_params(critic__d_model=16, critic__n_heads=4)
    net.fit(data, None)
    assert net.critic_.column_embedding.shape[1] == 16


def test_sample_encoded_shape(data):
    net = make_net().fit(data, None)
    rows = net.sample_encoded(np.zeros((10, 2), dtype=np.int64))
    assert rows.shape == (10, 4)
    assert np.abs(rows[:, 0]).max() <= 1


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
