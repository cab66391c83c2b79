"""RarityOversampler: generated rows where the data is thin, without group labels."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._rarity import LatentRarity
from ._validation import check_labels, check_rows, top_share

NEEDS_Y = (
    "RarityOversampler needs y, the class labels, so that each generated row gets "
    "the label of the rare row it is made from."
)
BAD_FIT_PARAMS = "RarityOversampler.fit_resample takes no fit parameters; got {names}."


class RarityOversampler(BaseEstimator):
    """Add generated rows near the rarest real rows: no sensitive column needed.

    A :class:`LatentRarity` model marks the rarest ``share`` of the training
    rows (within each class by default). Each generated row starts from one of
    them, drawn at random, and keeps its label:

    - ``method="interpolate"``: a point on the segment to one of its
      ``k_neighbors`` nearest rare rows of the same class in latent space,
      taken in the encoded table (numbers interpolated as quantile codes,
      each category taken from one end of the segment), as SMOTE-NC does;
    - ``method="decode"``: the VAE's decoding of the row's latent mean plus
      Gaussian noise of ``noise`` times its latent standard deviation.

    Follows imbalanced-learn's sampler protocol: use it in an
    ``imblearn.pipeline.Pipeline``. See :ref:`discovery` in the user guide.

    Parameters
    ----------
    rarity : LatentRarity or None, default=None
        The rarity model, cloned and fitted on each training set; None uses the
        defaults.
    share : float in (0, 1), default=0.1
        Share of the training rows that count as rare, the sources of the
        generated rows.
    ratio : float > 0, default=0.1
        Generated rows, as a multiple of the training rows.
    method : {"interpolate", "decode"}, default="interpolate"
        How a row is generated from its source (see above).
    k_neighbors : int, default=5
        Rare rows of the same class a source may be interpolated towards.
    noise : float >= 0, default=1.0
        With ``method="decode"``, the latent noise in the source's standard
        deviations; 0 decodes the latent mean itself.
    within_class : bool, default=True
        Score rarity within each class (it sets the rarity model's own
        ``within_class``), so that every class contributes rare rows; False
        scores X alone.
    random_state : int, RandomState instance or None, default=None
        Draws the sources, neighbours and interpolation points, and seeds the
        rarity model when its own ``random_state`` is None.

    Attributes
    ----------
    rarity_ : LatentRarity
        The fitted rarity model.
    rare_mask_ : ndarray of bool of shape (n_samples,)
        The training rows counted as rare.
    sources_ : ndarray of int
        For each generated row, the position of its source in the training rows.
    n_generated_ : int
        Rows added by the last :meth:`fit_resample`.

    Examples
    --------
    >>> from fairsynth.datasets import make_biased_classification
    >>> from fairsynth.discovery import LatentRarity, RarityOversampler
    >>> X, y = make_biased_classification(n_samples=200, random_state=0)
    >>> sampler = RarityOversampler(
    ...     rarity=LatentRarity(epochs=2), ratio=0.5, random_state=0
    ... )
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> len(X_res), sampler.n_generated_
    (300, 100)
    >>> bool((y_res.iloc[200:].to_numpy() == y.to_numpy()[sampler.sources_]).all())
    True
    """

    _parameter_constraints: dict = {
        "rarity": [LatentRarity, None],
        "share": [Interval(Real, 0, 1, closed="neither")],
        "ratio": [Interval(Real, 0, None, closed="neither")],
        "method": [StrOptions({"interpolate", "decode"})],
        "k_neighbors": [Interval(Integral, 1, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "within_class": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        rarity=None,
        share=0.1,
        ratio=0.1,
        method="interpolate",
        k_neighbors=5,
        noise=1.0,
        within_class=True,
        random_state=None,
    ):
        self.rarity = rarity
        self.share = share
        self.ratio = ratio
        self.method = method
        self.k_neighbors = k_neighbors
        self.noise = noise
        self.within_class = within_class
        self.random_state = random_state

    def fit(self, X, y, **params):
        """Fit the rarity model and generate rows; see :meth:`fit_resample`."""
        self.fit_resample(X, y, **params)
        return self

    def fit_resample(self, X, y, **params):
        """Fit the rarity model, then return the real rows and generated ones.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Training rows; no sensitive column is needed.
        y : array-like of shape (n_samples,)
            Class labels.
        **params : dict
            None are taken.

        Returns
        -------
        X_resampled : same type as X
            The real rows, unchanged and in order (a fresh RangeIndex for a
            DataFrame), then the generated rows.
        y_resampled : same type as y
            Their labels: each generated row has its source's.
        """
        if params:
            raise TypeError(BAD_FIT_PARAMS.format(names=sorted(params)))
        if y is None:
            raise ValueError(NEEDS_Y)
        self._validate_params()
        frame = check_rows(X, type(self).__name__).reset_index(drop=True)
        labels = check_labels(y, len(frame))
        rng = check_random_state(self.random_state)
        self._fit_rarity(frame, labels, rng)
        rows = self._generate(frame, labels, rng)
        new_frame = pd.concat([frame, rows], ignore_index=True)
        new_labels = np.concatenate([labels, labels[self.sources_]])
        return _restore(new_frame, X), _restore_target(new_labels, y)

    def _fit_rarity(self, frame, labels, rng):
        rarity = clone(self.rarity) if self.rarity is not None else LatentRarity()
        if rarity.random_state is None:
            rarity.set_params(random_state=int(rng.randint(2**31 - 1)))
        rarity.set_params(within_class=self.within_class)
        by_class = labels if self.within_class else None
        self.rarity_ = rarity.fit(frame, by_class)
        scores = self.rarity_.score_samples(frame, by_class)
        self.rare_mask_ = top_share(scores, self.share)

    def _generate(self, frame, labels, rng):
        """Draw the sources and make one row from each."""
        rare = np.flatnonzero(self.rare_mask_)
        self.n_generated_ = max(1, int(round(self.ratio * len(frame))))
        self.sources_ = rare[rng.randint(len(rare), size=self.n_generated_)]
        codes = self.rarity_.encoder_.transform(frame)
        if self.method == "decode":
            mean, log_var = self.rarity_._latents(codes[self.sources_])
            noise = rng.standard_normal(mean.shape) * np.exp(0.5 * log_var)
            return self.rarity_.decode(mean + self.noise * noise)
        partners = self._partners(codes, labels, rare, rng)
        return self._interpolate(codes, partners, rng)

    def _partners(self, codes, labels, rare, rng):
        """For each source, one of its nearest rare rows of the same class."""
        means = self.rarity_._project(self.rarity_._means(codes))
        partners = self.sources_.copy()
        for label in np.unique(labels[self.sources_]):
            pool = rare[labels[rare] == label]
            k = min(self.k_neighbors + 1, len(pool))
            if k < 2:
                continue
            index = NearestNeighbors(n_neighbors=k).fit(means[pool])
            chosen = np.flatnonzero(labels[self.sources_] == label)
            _, near = index.kneighbors(means[self.sources_[chosen]])
            # Column 0 is the source itself; pick among the others.
            pick = near[np.arange(len(chosen)), rng.randint(1, k, size=len(chosen))]
            partners[chosen] = pool[pick]
        return partners

    def _interpolate(self, codes, partners, rng):
        start, end = codes[self.sources_], codes[partners]
        step = rng.random_sample((len(start), 1)).astype(np.float32)
        mixed = start + step * (end - start)
        for span in self.rarity_.encoder_.spans_:
            if span.kind != "numeric":
                # A category comes whole from one end, the nearer one more often.
                block = slice(span.start, span.stop)
                take_end = rng.random_sample(len(start)) < step[:, 0]
                mixed[:, block] = np.where(
                    take_end[:, None], end[:, block], start[:, block]
                )
        return self.rarity_.encoder_.inverse_transform(mixed)


def _restore(frame, X):
    """Give ``frame`` back as X's type: a DataFrame, or an array of X's dtype."""
    if isinstance(X, pd.DataFrame):
        return frame
    return frame.to_numpy(dtype=np.asarray(X).dtype)


def _restore_target(values, y):
    """Give labels back as y's type, name and dtype."""
    if isinstance(y, pd.Series):
        return pd.Series(values, name=y.name).astype(y.dtype)
    if isinstance(y, list):
        return values.tolist()
    return np.asarray(values).astype(np.asarray(y).dtype)
