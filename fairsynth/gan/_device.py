"""Device choice and seeding shared by the torch-backed estimators."""

import contextlib

import torch


def resolve_device(device):
    """``"auto"`` is CUDA when it is available, else the CPU."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return str(torch.device(device))


@contextlib.contextmanager
def seeded(seed, device):
    """Seed torch inside the block and restore the global generators afterwards.

    Module initialisation, dropout, noise and batch draws all use torch's global
    generator; forking it keeps the user's own random stream untouched.
    """
    devices = list(range(torch.cuda.device_count())) if "cuda" in str(device) else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
