"""The sampler on CUDA: these run only where torch finds a GPU.

CUDA kernels are not bitwise deterministic, so nothing here compares rows with a
CPU run: the checks are on shapes, counts, devices and round trips.
"""

import pickle

import pytest
import torch
from _helpers import TINY_GAN

from fairsynth import FairGANSampler
from fairsynth.datasets import make_biased_classification

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
]


@pytest.fixture(scope="module")
def biased():
    return make_biased_classification(300, bias=0.6, random_state=0)


@pytest.fixture(scope="module")
def on_cuda(biased):
    params = {**TINY_GAN, "device": "cuda"}
    return FairGANSampler(sensitive="group", **params).fit(*biased)


def test_trains_and_generates_on_cuda(on_cuda, biased):
    X, _ = biased
    assert next(on_cuda.net_.module_.parameters()).is_cuda
    X_new, y_new = on_cuda.sample(100)
    assert X_new.shape == (100, X.shape[1]) and len(y_new) == 100
    assert list(X_new.columns) == list(X.columns)


def test_resampling_on_cuda_keeps_the_real_rows(on_cuda, biased):
    X, y = biased
    X_res, y_res = on_cuda.fit_resample(X, y)
    assert X_res.iloc[: len(X)].equals(X)
    assert (y_res.iloc[: len(y)].to_numpy() == y.to_numpy()).all()
    assert len(X_res) == on_cuda.cell_counts_["n_total"].sum()


def test_a_cuda_model_pickles_and_loads_on_the_cpu(on_cuda, tmp_path):
    again = pickle.loads(pickle.dumps(on_cuda))
    assert again.sample(10)[0].shape[0] == 10
    on_cuda.save(tmp_path / "model.zip")
    loaded = FairGANSampler.load(tmp_path / "model.zip", device="cpu")
    assert not next(loaded.net_.module_.parameters()).is_cuda
    assert loaded.sample(10)[0].shape[0] == 10


def test_a_copied_cuda_model_samples_the_same_rows(on_cuda):
    # Training twice on CUDA need not give the same weights, but sampling from
    # given weights and a given random state does.
    copy = pickle.loads(pickle.dumps(on_cuda))
    assert copy.sample(50)[0].equals(on_cuda.sample(50)[0])
