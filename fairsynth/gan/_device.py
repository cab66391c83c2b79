"""Device choice and seeding shared by the torch-backed estimators."""

import contextlib

import torch


def resolve_device(device):
    """``"auto"`` is CUDA when it is available, else the CPU.

    A CUDA device that torch cannot reach is refused with what to do instead.

    Examples
    --------
    >>> from fairsynth.gan import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("auto") in {"cpu", "cuda"}
    True
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if reason := unreachable(device):
        raise ValueError(
            f"device={device!r}, but {reason}. Pass device='cpu', or 'auto' to use a "
            "GPU only when there is one."
        )
    return str(torch.device(device))


def unreachable(device):
    """Why torch cannot use ``device`` here, or None when it can.

    Examples
    --------
    >>> from fairsynth.gan._device import unreachable
    >>> unreachable("cpu") is None
    True
    """
    if device == "auto" or torch.device(device).type != "cuda":
        return None
    if torch.cuda.is_available():
        return None
    built = "without CUDA" if torch.version.cuda is None else "with CUDA"
    return (
        f"torch finds no CUDA device (this torch {torch.__version__} is built {built})"
    )


@contextlib.contextmanager
def seeded(seed, device):
    """Seed torch inside the block and restore the global generators afterwards.

    Module initialisation, dropout, noise and batch draws all use torch's global
    generators; forking them keeps the user's own random streams untouched.

    Examples
    --------
    >>> import torch
    >>> from fairsynth.gan import seeded
    >>> before = torch.get_rng_state()
    >>> with seeded(0, "cpu"):
    ...     first = torch.rand(2)
    >>> with seeded(0, "cpu"):
    ...     again = torch.rand(2)
    >>> torch.equal(first, again), torch.equal(torch.get_rng_state(), before)
    (True, True)
    """
    on_gpu = torch.device(device).type == "cuda"
    devices = list(range(torch.cuda.device_count())) if on_gpu else []
    with torch.random.fork_rng(devices=devices):
        # torch.manual_seed would reseed every GPU as well, and a CPU run forks
        # (and so restores) the CPU generator only.
        torch.default_generator.manual_seed(seed)
        if on_gpu:
            torch.cuda.manual_seed_all(seed)
        yield
