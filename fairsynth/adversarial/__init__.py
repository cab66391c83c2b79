"""A classifier trained against an adversary that guesses the sensitive groups."""

from ._classifier import AdversarialFairClassifier

__all__ = ["AdversarialFairClassifier"]
