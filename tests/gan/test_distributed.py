"""Data-parallel training: two gloo processes started by torchrun, against one."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import torch
from _helpers import TINY_GAN

from fairsynth import FairGANSampler
from fairsynth.datasets import make_biased_classification
from fairsynth.gan import _distributed as parallel

# 360 training rows: batches of 64 and a last one of 40, each split 2 ways with
# an even half for the gradient penalty, so both runs see the same rows.
N_ROWS = 400
# Dropout draws per-process masks; without it the two runs take the same steps.
PARAMS = {
    **TINY_GAN,
    "sensitive": "group",
    "device": "cpu",
    "dropout": 0.0,
    "keep_real": False,
    "lambda_fair": 1.0,
}
# Float sums in another order differ by about 1e-7; Adam divides a gradient by
# its own size, so they stay that small, except where the exact gradient is 0.
TOLERANCE = 1e-6
NETWORKS = ("module_", "generator_average_", "critic_", "adversary_")

WORKER = """
import sys

from fairsynth import FairGANSampler
from fairsynth.cli import main
from fairsynth.datasets import make_biased_classification
from fairsynth.gan import is_main_process

folder = sys.argv[1]
X, y = make_biased_classification({n_rows}, random_state=0)
sampler = FairGANSampler(**{params!r}).fit(X, y)
if is_main_process():
    sampler.save(folder + "/python.zip")
# Each process with its own rows is refused, on every process.
X, y = make_biased_classification(100, random_state=1 + int(is_main_process()))
try:
    FairGANSampler(**{params!r}).fit(X, y)
except ValueError as error:
    print(error if is_main_process() else "")
sys.exit(main([
    "resample", folder + "/data.csv", "--target", "label", "--sensitive", "group",
    "-o", folder + "/fair.csv", "--save-model", folder + "/cli.zip",
    "--epochs", "1", "--batch-size", "32", "--device", "cpu", "--quiet",
]))
"""


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    """Run the worker in 2 processes under torchrun; return its folder and output."""
    folder = tmp_path_factory.mktemp("distributed")
    X, y = make_biased_classification(200, random_state=1)
    X.assign(label=y).to_csv(folder / "data.csv", index=False)
    script = folder / "worker.py"
    script.write_text(textwrap.dedent(WORKER.format(n_rows=N_ROWS, params=PARAMS)))
    command = [
        *(sys.executable, "-m", "torch.distributed.run", "--standalone"),
        *("--nproc_per_node", "2", str(script), str(folder)),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=300, env=env, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return folder, result.stdout


@pytest.fixture(scope="module")
def alone():
    """The same sampler, fitted in this one process."""
    X, y = make_biased_classification(N_ROWS, random_state=0)
    return FairGANSampler(**PARAMS).fit(X, y)


def without_key_bias(name, gap):
    """``gap`` less the key bias of a ``qkv.bias``, which attention cannot see.

    The key bias's exact gradient is 0 (the softmax ignores a shift), so each
    run's rounding noise decides the sign of Adam's steps there: a difference of
    about ``lr`` that says nothing about the training.
    """
    if not name.endswith("qkv.bias"):
        return gap
    d_model = len(gap) // 3
    return torch.cat([gap[:d_model], gap[2 * d_model :]])


def differences(first, second):
    """Largest absolute difference of each network's weights, key biases aside."""
    result = {}
    for network in NETWORKS:
        ours = getattr(first.net_, network).state_dict()
        theirs = getattr(second.net_, network).state_dict()
        gaps = []
        for name, value in ours.items():
            gap = (value.double() - theirs[name].double()).abs()
            gap = without_key_bias(name, gap)
            gaps.append(float(gap.max()) if gap.numel() else 0.0)
        result[network] = max(gaps)
    return result


def test_two_processes_train_the_weights_of_one(launched, alone):
    loaded = FairGANSampler.load(launched[0] / "python.zip")
    gaps = differences(loaded, alone)
    assert all(gap < TOLERANCE for gap in gaps.values()), gaps
    # The adversarial epoch ran, with the critic's gradient penalty and the
    # fairness adversary, after the likelihood epoch.
    phases = [epoch["phase"] for epoch in loaded.net_.history]
    assert phases == ["likelihood", "adversarial"]
    for key in ("train_loss", "valid_loss", "critic_loss", "adversary_loss"):
        assert np.isclose(
            loaded.net_.history[-1, key], alone.net_.history[-1, key], rtol=1e-5
        )


def test_the_model_of_rank_0_samples_in_a_plain_process(launched):
    loaded = FairGANSampler.load(launched[0] / "python.zip", device="cpu")
    X_new, y_new = loaded.sample(50)
    assert X_new.shape == (50, loaded.n_features_in_)
    assert len(y_new) == 50


def test_torchrun_resample_writes_once_from_rank_0(launched):
    folder, stdout = launched
    table = pd.read_csv(folder / "fair.csv")
    loaded = FairGANSampler.load(folder / "cli.zip")
    assert len(table) == loaded.cell_counts_["n_total"].sum()
    assert loaded.net_.batch_size == 32
    # Rank 0 alone prints what it wrote.
    assert stdout.count("Wrote ") == 1
    assert loaded.sample(10)[0].shape[0] == 10


def test_processes_with_different_rows_are_refused(launched):
    assert "The processes hold different training rows" in launched[1]


def test_alone_every_helper_leaves_its_input():
    assert parallel.world() == (0, 1)
    rows = torch.arange(6)
    assert parallel.share(rows) is rows
    assert parallel.whole_shares(5) == 5
    assert parallel.first_half(5) == (2, 2)
    assert parallel.process_device("cpu") == "cpu"
    assert parallel.broadcast_seeds([3, 4]) == [3, 4]
    totals = {"loss": torch.tensor(2.0)}
    assert parallel.reduce_epoch(totals, 4) == (totals, 4)
