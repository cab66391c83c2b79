"""Shared test settings (importable thanks to ``pythonpath = ["tests"]``)."""

import subprocess

# Networks small enough that a FairGANSampler fits in well under a second.
TINY_GAN = {
    "epochs": 1,
    "batch_size": 64,
    "d_model": 8,
    "n_heads": 2,
    "dim_feedforward": 16,
    "adversary_hidden": 8,
    "random_state": 0,
    # Pinned, so that the suite passes unchanged on a machine with a GPU; the tests
    # marked gpu run there on CUDA.
    "device": "cpu",
}


CHROMIUM = [
    "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
    # Containers give /dev/shm only 64 MB; Chromium writes to /tmp instead.
    "--disable-dev-shm-usage",
]  # fmt: skip


def run_chromium(profile, *args, tries=3, **kwargs):
    """Run headless Chromium with ``args``, its profile in ``profile``.

    A browser killed by a signal (Chromium sometimes segfaults on its first start in
    a fresh container) is started again, up to ``tries`` times: such a crash says
    nothing about the page under test. Any other failure raises at once.
    """
    command = [*CHROMIUM, f"--user-data-dir={profile}", *args]
    for attempt in range(tries):
        result = subprocess.run(command, capture_output=True, **kwargs)
        if result.returncode >= 0 or attempt == tries - 1:
            break
    result.check_returncode()
    return result
