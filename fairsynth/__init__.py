"""fairsynth: measure and reduce bias in tabular data with generative models.

The estimators live in subpackages that import torch. They are loaded lazily, so that
``import fairsynth.metrics`` (or ``datasets``, ``preprocessing``) stays torch-free.
"""

import importlib

__version__ = "0.1.0"

_LAZY = {
    "CounterfactualSampler": "fairsynth.sampler",
    "FairGANSampler": "fairsynth.sampler",
    "AdversarialFairClassifier": "fairsynth.adversarial",
    "DrFairnessClassifier": "fairsynth.mixing",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'fairsynth' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
