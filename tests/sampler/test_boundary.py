import numpy as np
import pytest
from _helpers import TINY_GAN

from fairsynth import FairGANSampler
from fairsynth.datasets import make_biased_classification
from fairsynth.sampler._boundary import choose_hard_rows


class FixedRanker:
    """A ranker whose class-1 probability is the first encoded column."""

    def predict_proba(self, encoded):
        return np.column_stack([1 - encoded[:, 0], encoded[:, 0]])


def candidates(n_per_cell=1000):
    """Two cells of class 1 whose candidates span every ranker probability."""
    proba = np.tile(np.linspace(0.01, 0.99, n_per_cell), 2)
    return (
        proba[:, None],
        np.ones(2 * n_per_cell, dtype=int),
        np.repeat([0, 1], n_per_cell),
    )


def test_keeps_exactly_the_wanted_rows_of_each_cell():
    encoded, classes, cells = candidates()
    rng = np.random.RandomState(0)
    chosen = choose_hard_rows(
        FixedRanker(), encoded, classes, cells, [30, 70], 1.0, rng
    )
    assert len(np.unique(chosen)) == len(chosen) == 100
    np.testing.assert_array_equal(np.bincount(cells[chosen]), [30, 70])
    assert (np.diff(chosen) > 0).all()


@pytest.mark.parametrize("focus", [0.0, 1.0, 3.0])
def test_focus_tilts_the_draw_towards_hard_rows(focus):
    encoded, classes, cells = candidates()
    rng = np.random.RandomState(0)
    chosen = choose_hard_rows(
        FixedRanker(), encoded, classes, cells, [200, 200], focus, rng
    )
    # Class 1 rows with a low class-1 probability are the hard ones. A draw with
    # weights (1 - p) ** focus from a uniform p has mean 1 / (focus + 2).
    mean = encoded[chosen, 0].mean()
    assert mean == pytest.approx(1 / (focus + 2), abs=0.06)


def ranker_confidence(sampler, X_new, y_new):
    """The sampler's ranker's probability of each row's own class."""
    features = X_new.drop(columns=sampler.sensitive_)
    features.columns = [str(c) for c in features.columns]
    proba = sampler._ranker.predict_proba(sampler.encoder_.transform(features))
    return proba[np.arange(len(y_new)), np.searchsorted(sampler.classes_, y_new)]


def test_sampler_adds_harder_rows_with_the_same_counts():
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
    harder = ranker_confidence(focused, X_focused[new], y_focused[new])
    typical = ranker_confidence(focused, X_plain[new], y_plain[new])
    assert harder.mean() < typical.mean() - 0.05


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
