"""CounterfactualSampler: real rows plus their counterfactual twins."""

from numbers import Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ._twins import TWIN_METHODS
from ._validation import (
    as_frame,
    check_no_fit_params,
    check_target,
    restore_container,
    restore_target,
)


class CounterfactualSampler(BaseEstimator):
    """Add counterfactual twins of training rows: each in other groups, label kept.

    Every twin shares its row's label and generator noise and differs in the
    group (:meth:`FairGANSampler.counterfactuals`), so that in the training table
    the features that carry the group say less about the label. Follows
    imbalanced-learn's sampler protocol: use it in an
    ``imblearn.pipeline.Pipeline``. See :ref:`counterfactuals` in the user guide.

    Parameters
    ----------
    sampler : FairGANSampler
        The generator, with its ``sensitive`` columns set; a clone is fitted.
        Give it ``memory=`` so that a search over this sampler's settings trains
        it once per training set.
    twins_per_row : float > 0, default=1.0
        How many twins each row gets in each twin group, on average: every row
        gets its whole part, and a random share of the rows one more. Twins of
        one row are drawn apart (see :meth:`FairGANSampler.counterfactuals`).
        With one sensitive column, 1 makes the label independent of the group
        in the result; more gives the twins more weight than the real rows.
    source : {"real", "generated"}, default="real"
        ``"real"``: twins of real rows. ``"generated"``: twins of as many
        generated rows (in the fair joint distribution of
        :meth:`FairGANSampler.sample`), which are added with them, as in the
        latent-space de-biasing of Ramaswamy, Kim and Russakovsky (2021).
    groups : None, str, list of str or dict, default=None
        Which twins each row gets, as in :meth:`FairGANSampler.counterfactuals`.
    method : {"condition", "hyperplane"}, default="condition"
        How twins are made, as in :meth:`FairGANSampler.counterfactuals`.
    proximity : float >= 0, default=0.0
        How much of its row a twin keeps, as in
        :meth:`FairGANSampler.counterfactuals` (``method="condition"``).
    random_state : int, RandomState instance or None, default=None
        Draws the rows that get twins.

    Attributes
    ----------
    sampler_ : FairGANSampler
        The fitted generator.
    n_twins_ : int
        Twins in the last resampled table.

    Examples
    --------
    >>> from fairsynth import CounterfactualSampler, FairGANSampler
    >>> from fairsynth.datasets import make_biased_classification
    >>> X, y = make_biased_classification(n_samples=200, random_state=0)
    >>> generator = FairGANSampler(
    ...     sensitive="group", epochs=1, d_model=8, n_heads=2, dim_feedforward=16,
    ...     adversary_hidden=8, random_state=0,
    ... )
    >>> augmenter = CounterfactualSampler(sampler=generator, random_state=0)
    >>> X_res, y_res = augmenter.fit_resample(X, y)
    >>> len(X_res), augmenter.n_twins_
    (400, 200)
    >>> (X_res["group"].iloc[200:].to_numpy() != X["group"].to_numpy()).all()
    True
    """

    _parameter_constraints = {
        "sampler": [HasMethods(["fit", "counterfactuals"])],
        "twins_per_row": [Interval(Real, 0, None, closed="neither")],
        "source": [StrOptions({"real", "generated"})],
        "groups": [None, str, list, dict],
        "method": [StrOptions(set(TWIN_METHODS))],
        "proximity": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        sampler=None,
        twins_per_row=1.0,
        source="real",
        groups=None,
        method="condition",
        proximity=0.0,
        random_state=None,
    ):
        self.sampler = sampler
        self.twins_per_row = twins_per_row
        self.source = source
        self.groups = groups
        self.method = method
        self.proximity = proximity
        self.random_state = random_state

    def fit(self, X, y, **params):
        """Fit the generator on ``X`` and ``y``; see :meth:`fit_resample`."""
        self.fit_resample(X, y, **params)
        return self

    def fit_resample(self, X, y, **params):
        """Fit the generator, then return the real rows followed by twins.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features, sensitive columns included.
        y : array-like of shape (n_samples,)
            Class labels.
        **params : dict
            ``sample_weight`` only, passed to the generator's fit.

        Returns
        -------
        X_resampled : same type as X
            The real rows, unchanged and in order (with a fresh RangeIndex for
            DataFrames), then the generated rows (``source="generated"``), then
            the twins.
        y_resampled : same type as y
            Their labels.
        """
        sample_weight = params.pop("sample_weight", None)
        check_no_fit_params("fit_resample", params)
        if self.sampler is None:
            raise ValueError(
                "CounterfactualSampler needs a generator: pass "
                "sampler=FairGANSampler(sensitive=...)."
            )
        self._validate_params()
        frame, container = as_frame(X)
        labels, target_info = check_target(y, len(frame))
        frame = frame.reset_index(drop=True)
        fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
        self.sampler_ = clone(self.sampler).fit(frame, labels, **fit_params)
        sources, source_labels, repeats = self._twin_sources(frame, labels)
        rows = np.repeat(np.arange(len(sources)), repeats)
        twins, twin_labels = self.sampler_.counterfactuals(
            sources.iloc[rows].reset_index(drop=True),
            source_labels[rows],
            groups=self.groups,
            method=self.method,
            proximity=self.proximity,
        )
        self.n_twins_ = len(twins)
        added, added_labels = [twins], [twin_labels.to_numpy()]
        if self.source == "generated":
            twinned = repeats > 0
            added.insert(0, sources[twinned])
            added_labels.insert(0, source_labels[twinned])
        new_frame = pd.concat([frame, *added], ignore_index=True)
        new_labels = np.concatenate([labels, *added_labels])
        return (
            restore_container(new_frame, container),
            restore_target(new_labels, target_info),
        )

    def _twin_sources(self, frame, labels):
        """Return the rows to twin, their labels, and how many twins each gets."""
        rng = check_random_state(self.random_state)
        if self.source == "generated":
            frame, labels = self.sampler_.sample(len(frame))
            frame, labels = frame.reset_index(drop=True), np.asarray(labels)
        whole, part = divmod(self.twins_per_row, 1)
        repeats = int(whole) + (rng.random_sample(len(frame)) < part)
        return frame, labels, repeats
