"""Seeding inside the torch-backed estimators."""

import torch

from fairsynth.gan import seeded


def test_seeded_reproduces_and_restores_the_cpu_generator():
    before = torch.get_rng_state()
    with seeded(3, "cpu"):
        first = torch.rand(4)
    with seeded(3, "cpu"):
        second = torch.rand(4)
    assert torch.equal(first, second)
    assert torch.equal(torch.get_rng_state(), before)


def test_a_cpu_run_leaves_the_gpu_generators_alone(monkeypatch):
    # On a machine with GPUs, reseeding them would change the user's GPU stream,
    # which a CPU run's fork does not restore.
    calls = []
    monkeypatch.setattr(torch.cuda, "manual_seed_all", calls.append)
    monkeypatch.setattr(torch.cuda, "manual_seed", calls.append)
    with seeded(3, "cpu"):
        torch.rand(1)
    assert calls == []
