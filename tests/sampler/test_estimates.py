"""What a fit says about its cost before it pays it: memory, then time."""

import os
import re

import pytest
from _helpers import TINY_GAN
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from fairsynth import FairGANSampler
from fairsynth.datasets import make_biased_classification
from fairsynth.sampler import _training


@pytest.fixture(scope="module")
def biased():
    return make_biased_classification(200, random_state=0)


def test_the_estimate_grows_with_rows_columns_and_tokens():
    small = _training.estimated_memory(1000, [10] * 5, 64)
    assert _training.estimated_memory(2000, [10] * 5, 64) > small
    assert _training.estimated_memory(1000, [10] * 6, 64) > small
    assert _training.estimated_memory(1000, [100] * 5, 64) > small
    # Measured: Adult's default fit (32,561 rows, 12 columns, 516 tokens) added
    # 406 MB; the raw COMPAS file (7,214 rows, 41 columns, 54,314 tokens) 2.1 GB.
    adult = _training.estimated_memory(32_561, [43] * 12, 512)
    assert 0.85 * 406e6 < adult < 1.15 * 406e6
    compas = _training.estimated_memory(7_214, [1_325] * 41, 202)
    assert 0.85 * 2.1e9 < compas < 1.15 * 2.1e9


def test_a_fit_that_would_not_fit_in_memory_is_refused_first(biased, monkeypatch):
    monkeypatch.setattr(_training, "available_memory", lambda: 100e6)
    built = []
    monkeypatch.setattr(_training, "build_net", lambda *a, **k: built.append(1))
    sampler = FairGANSampler(sensitive="group", **TINY_GAN)
    with pytest.raises(MemoryError, match=r"about 0\.\d GB of memory .* 0\.1 GB are"):
        sampler.fit(*biased)
    assert not built
    with pytest.raises(NotFittedError):
        check_is_fitted(sampler, "net_")


def test_unknown_free_memory_skips_the_check(biased, monkeypatch):
    monkeypatch.setattr(_training, "available_memory", lambda: None)
    FairGANSampler(sensitive="group", **TINY_GAN).fit(*biased)


def test_the_first_epoch_of_each_phase_tells_the_training_time(biased, capsys):
    params = {**TINY_GAN, "epochs": 3, "adversarial_epochs": 3}
    FairGANSampler(sensitive="group", verbose=1, **params).fit(*biased)
    out = capsys.readouterr().out
    assert out.count("Epoch 1 took") == 1
    assert "at most 3 likelihood epochs, so at most about" in out
    assert out.count("Adversarial batches take") == 1
    assert "3 epoch(s) of" in out and "training ends after about" in out
    # The clock time counts the work before the first epoch too.
    assert re.search(r"in all, at about \d\d:\d\d:\d\d\.", out)


@pytest.mark.skipif(not os.path.exists("/proc/meminfo"), reason="Linux only")
def test_free_memory_is_read_from_the_system():
    assert 0 < _training.available_memory() < 1 << 50
