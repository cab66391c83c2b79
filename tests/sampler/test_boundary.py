import numpy as np
import pytest
from _helpers import TINY_GAN

from fairsynth import FairGANSampler
from fairsynth.datasets import make_biased_classification
from fairsynth.sampler._boundary import (
    choose_contrary_rows,
    contrary_probability,
    draw_copies,
)


class FixedRanker:
    """A ranker of 2 groups x 2 classes whose class-1 probability is the first column.

    Each group is equally likely, so a class-1 row's contrary probability (its own
    group, class 0) is half of one minus that column.
    """

    classes_ = np.arange(4)

    def predict_proba(self, encoded):
        p = encoded[:, :1]
        return np.hstack([1 - p, p, 1 - p, p]) / 2


def candidates(n_per_cell=1000):
    """Class-1 candidates of both groups (cells 1 and 3), spanning every probability."""
    proba = np.tile(np.linspace(0.01, 0.99, n_per_cell), 2)
    return proba[:, None], np.repeat([1, 3], n_per_cell)


def test_keeps_exactly_the_wanted_rows_of_each_cell():
    encoded, cells = candidates()
    rng = np.random.RandomState(0)
    chosen = choose_contrary_rows(
        FixedRanker(), encoded, cells, [0, 30, 0, 70], 2, 1.0, rng
    )
    assert len(np.unique(chosen)) == len(chosen) == 100
    np.testing.assert_array_equal(
        np.bincount(cells[chosen], minlength=4), [0, 30, 0, 70]
    )
    assert (np.diff(chosen) > 0).all()


@pytest.mark.parametrize("focus", [0.0, 1.0, 3.0])
def test_focus_tilts_the_draw_towards_contrary_rows(focus):
    encoded, cells = candidates()
    rng = np.random.RandomState(0)
    chosen = choose_contrary_rows(
        FixedRanker(), encoded, cells, [0, 200, 0, 200], 2, focus, rng
    )
    # Class 1 rows with a low class-1 probability are the contrary ones. A draw with
    # weights (1 - p) ** focus from a uniform p has mean 1 / (focus + 2).
    mean = encoded[chosen, 0].mean()
    assert mean == pytest.approx(1 / (focus + 2), abs=0.06)


@pytest.mark.parametrize("focus", [0.0, 1.0, 3.0])
def test_copies_come_from_their_cell_tilted_by_focus(focus):
    # Two cells of 100 rows each; contrary probabilities spread uniformly over (0, 1).
    contrary = np.tile(np.linspace(0.005, 0.995, 100), 2)
    cells = np.repeat([1, 3], 100)
    rng = np.random.RandomState(0)
    copies = draw_copies(contrary, cells, [0, 3000, 0, 50], focus, rng)
    # With replacement: a cell may need more copies than it has rows.
    counts = np.bincount(cells[copies], minlength=4)
    np.testing.assert_array_equal(counts, [0, 3000, 0, 50])
    # Weights q ** focus over a uniform q give a mean q of (focus + 1) / (focus + 2).
    mean = contrary[copies[cells[copies] == 1]].mean()
    assert mean == pytest.approx((focus + 1) / (focus + 2), abs=0.02)


def test_no_copies_wanted_draws_nothing():
    rng = np.random.RandomState(0)
    state = rng.get_state()[1].copy()
    copies = draw_copies(np.ones(4), np.array([0, 0, 1, 1]), [0, 0], 2.0, rng)
    assert copies.shape == (0,)
    np.testing.assert_array_equal(rng.get_state()[1], state)


class TableRanker:
    """A ranker that gives every row the same cell probabilities."""

    def __init__(self, classes, proba):
        self.classes_, self.proba = np.asarray(classes), np.asarray(proba)

    def predict_proba(self, encoded):
        return np.tile(self.proba, (len(encoded), 1))


def test_contrary_probability_is_own_group_other_classes():
    # 2 groups x 3 classes; cell c is group c // 3, class c % 3.
    ranker = TableRanker(range(6), [0.05, 0.1, 0.15, 0.2, 0.25, 0.25])
    contrary = contrary_probability(ranker, np.zeros((3, 1)), [0, 4, 5], 3)
    np.testing.assert_allclose(contrary, [0.25, 0.45, 0.45])


def test_contrary_probability_skips_cells_the_ranker_never_saw():
    # Cell 2 (group 1, class 0) had no real rows.
    ranker = TableRanker([0, 1, 3], [0.2, 0.3, 0.5])
    contrary = contrary_probability(ranker, np.zeros((2, 1)), [1, 3], 2)
    np.testing.assert_allclose(contrary, [0.2, 0.0])


def test_without_groups_contrary_is_the_other_classes():
    ranker = TableRanker([0, 1], [0.3, 0.7])
    contrary = contrary_probability(ranker, np.zeros((2, 1)), [0, 1], 2)
    np.testing.assert_allclose(contrary, [0.7, 0.3])


def contrary_of(sampler, X_new, y_new):
    """The sampler's ranker's contrary probability of generated rows."""
    features = X_new.drop(columns=sampler.sensitive_)
    features.columns = [str(c) for c in features.columns]
    groups = np.array([sampler.groups_.index(g) for g in X_new[sampler.sensitive_[0]]])
    n_classes = len(sampler.classes_)
    cells = groups * n_classes + np.searchsorted(sampler.classes_, y_new)
    return contrary_probability(sampler._ranker, features, cells, n_classes)


def test_sampler_adds_contrary_rows_with_the_same_counts():
    X, y = make_biased_classification(600, bias=0.6, random_state=0)
    params = {**TINY_GAN, "sensitive": "group", "random_state": 0}
    focused = FairGANSampler(**params, boundary_focus=3.0)
    plain = FairGANSampler(**params, boundary_focus=0.0)
    X_focused, y_focused = focused.fit_resample(X, y)
    X_plain, y_plain = plain.fit_resample(X, y)
    assert plain._ranker is None
    np.testing.assert_array_equal(
        focused.cell_counts_["n_total"], plain.cell_counts_["n_total"]
    )
    new = slice(len(X), None)
    harder = contrary_of(focused, X_focused[new], y_focused[new])
    typical = contrary_of(focused, X_plain[new], y_plain[new])
    assert harder.mean() > typical.mean() + 0.05


@pytest.mark.parametrize(
    "params, focus",
    [
        ({"sensitive": "group"}, 2.0),
        ({"sensitive": "group", "sampling_strategy": "parity"}, 2.0),
        ({"sensitive": "group", "sampling_strategy": "balance"}, 0.0),
        ({"sampling_strategy": "auto"}, 0.0),
        (
            {"sensitive": "group", "sampling_strategy": "balance", "boundary_focus": 1},
            1,
        ),
        ({"sensitive": "group", "keep_real": False, "boundary_focus": 1}, 0.0),
    ],
)
def test_auto_focus_tilts_only_parity(params, focus):
    X, y = make_biased_classification(200, bias=0.6, random_state=0)
    sampler = FairGANSampler(**TINY_GAN, **params).fit(X, y)
    assert sampler._added_rows_focus() == focus
    assert (sampler._ranker is None) == (focus == 0)
