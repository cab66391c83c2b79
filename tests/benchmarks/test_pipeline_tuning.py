"""The "parity, tuned" setting of benchmarks/bench_pipeline.py."""

import sys
from argparse import Namespace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from bench_pipeline import TUNING_GRID, pick_setting, tuned_parity  # noqa: E402

from fairsynth.datasets import make_biased_classification  # noqa: E402


def scores(accuracy, dp):
    return {"accuracy": accuracy, "dp_difference": dp}


def test_pick_setting_takes_the_fairest_within_the_floor():
    scored = [
        ((1.0, 2.0), scores(0.85, 0.10)),
        ((2.0, 2.0), scores(0.84, 0.05)),
        ((3.0, 2.0), scores(0.80, 0.01)),  # fairest, but below the floor
    ]
    assert pick_setting(scored, floor=0.83) == (2.0, 2.0)


def test_pick_setting_falls_back_to_parity_defaults():
    assert pick_setting([((3.0, 4.0), scores(0.70, 0.0))], floor=0.8) == (1.0, "auto")
    assert pick_setting([], floor=0.8) == (1.0, "auto")


def test_tuned_parity_returns_a_grid_setting():
    X, y = make_biased_classification(600, random_state=0)
    args = Namespace(device="cpu", quick=True)
    params = tuned_parity(X, y, "group", args, seed=0)
    setting = (params["parity_strength"], params["boundary_focus"])
    assert params["sampling_strategy"] == "parity"
    assert setting in TUNING_GRID or setting == (1.0, "auto")
