"""LatentRarity: how rare each row is, from the histograms of its latent code."""

from numbers import Integral, Real

import numpy as np
from scipy.special import ndtr, ndtri
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..preprocessing import TabularEncoder
from ._histogram import LatentHistograms, latent_axes, rarity_scores
from ._validation import (
    NEEDS_FIT_LABELS,
    NEEDS_LABELS,
    SMALL_CLASS,
    UNSEEN_CLASSES,
    check_labels,
    check_rows,
    top_share,
)

# Rows per NumPy pass when scoring, so that memory stays flat on large tables.
SCORE_BATCH = 65_536
# Quantile codes are kept this far inside (0, 1) as uniforms: normal scores then
# stay within about 3.3 standard deviations.
UNIFORM_MARGIN = 5e-4


def normal_scores(codes, columns):
    """Return ``codes`` with numeric columns turned from [-1, 1] into normal scores.

    The encoder's quantile codes are uniform, which flattens the tails: a value
    far out and one just past the bulk get nearly the same code. Normal scores
    put the tails back, so that a row far out in a number looks rare.
    """
    scores = codes.copy()
    uniform = np.clip(
        (codes[:, columns] + 1.0) / 2.0, UNIFORM_MARGIN, 1 - UNIFORM_MARGIN
    )
    scores[:, columns] = ndtri(uniform)
    return scores


def forward(layers, x):
    """Run a ReLU MLP given as ``(weight.T, bias)`` pairs, in NumPy."""
    for weight, bias in layers[:-1]:
        x = np.maximum(x @ weight + bias, 0.0)
    weight, bias = layers[-1]
    return x @ weight + bias


def capped_weights(scores, cap):
    """``exp(scores)`` scaled to mean 1, no weight above ``cap`` (if not None).

    Capped rows give up weight and the others share it out in proportion: the
    weights are ``min(s * exp(scores), cap)``, with ``s`` set for a mean of 1.
    """
    weights = np.exp(scores - scores.max())
    weights /= weights.mean()
    if cap is None or weights.max() <= cap:
        return weights
    ordered = np.sort(weights)[::-1]
    n_rows = len(ordered)
    # With the k largest capped, the scale that gives mean 1 is s_k; the first k
    # whose own largest uncapped weight stays within the cap is the answer.
    rest = np.cumsum(ordered[::-1])[::-1]
    capped = np.arange(n_rows)
    scale = (n_rows - capped * cap) / rest
    k = np.flatnonzero((scale > 0) & (scale * ordered <= cap))[0]
    return np.minimum(scale[k] * weights, cap)


class LatentRarity(BaseEstimator):
    """Score how rare each row is, from a VAE's latent space (DB-VAE).

    A small variational autoencoder learns the table (encoded by
    :class:`~fairsynth.preprocessing.TabularEncoder`, so numbers, categories and
    missing values all count). Each row's latent mean ``z`` is then looked up in
    one histogram per latent dimension, and the row's rarity is, as in DB-VAE
    (Amini et al., 2019), ``sum_i -log(Q_i(z_i) + alpha)``, the log of the weight
    ``prod_i 1 / (Q_i(z_i) + alpha)``; ``Q_i`` is the share of fitted rows in
    ``z_i``'s bin. No sensitive column or label is needed. Latent dimensions that
    the rows do not use are left out. See :ref:`discovery` in the user guide.

    Parameters
    ----------
    latent_dim : int, default=4
        Size of the VAE's latent space. A few dimensions keep the histograms'
        product from adding up noise; see :ref:`discovery`.
    n_bins : int, default=10
        Bins of each latent histogram, spanning the fitted rows' range; the
        maximum falls in the top bin.
    alpha : float > 0, default=0.01
        Added to each density: it bounds a row's weight and sets how much an
        empty bin counts against a nearly empty one.
    aggregate : {"product", "max"}, default="product"
        ``"product"``: DB-VAE's product of inverse densities over dimensions
        (a sum of logs). ``"max"``: the rarest dimension alone.
    hidden : int, default=64
        Width of the VAE's two hidden layers.
    epochs : int, default=30
        Training epochs of the VAE.
    batch_size : int, default=256
        Rows per training step.
    learning_rate : float, default=1e-3
        Adam's learning rate.
    beta : float >= 0, default=0.3
        Weight of the KL term in the VAE's loss. Below 1, fewer latent
        dimensions collapse to the prior and carry nothing.
    debias : bool, default=False
        Draw each epoch's rows by the rarity weights of the epoch before, as
        DB-VAE does, so that the VAE learns rare rows as well as common ones.
    within_class : bool, default=False
        Score rarity within each class of the ``y`` given to :meth:`fit`: each
        class gets its own histograms, and scoring then needs the rows' labels.
        False ignores ``y``.
    random_state : int, RandomState instance or None, default=None
        Seeds the encoder's quantiles and the VAE's training.

    Attributes
    ----------
    encoder_ : TabularEncoder
        The fitted table encoder.
    encoder_layers_, decoder_layers_ : list of tuple of ndarray
        The VAE's layers as ``(weight.T, bias)`` NumPy pairs: scoring and
        decoding need no torch.
    latent_centre_ : ndarray of shape (latent_dim,)
        The mean of the fitted rows' latent means.
    latent_axes_ : ndarray of shape (latent_dim, n_axes)
        The principal axes of the latent means along which they vary (variance
        above 0.01); each has its histogram.
    classes_ : ndarray or None
        With ``within_class``, the classes of ``y``; None otherwise.
    histograms_ : list of LatentHistograms
        One per class (one in all without ``y``).
    n_features_in_ : int
        Number of columns of X.
    feature_names_in_ : ndarray of str
        The column names of X.

    Examples
    --------
    >>> from fairsynth.datasets import make_biased_classification
    >>> from fairsynth.discovery import LatentRarity
    >>> X, y = make_biased_classification(n_samples=200, random_state=0)
    >>> rarity = LatentRarity(epochs=2, random_state=0).fit(X)
    >>> rarity.score_samples(X).shape
    (200,)
    >>> int(rarity.minority(X, share=0.1).sum())
    20
    """

    _parameter_constraints: dict = {
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "aggregate": [StrOptions({"product", "max"})],
        "hidden": [Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "debias": ["boolean"],
        "within_class": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        latent_dim=4,
        n_bins=10,
        alpha=0.01,
        aggregate="product",
        hidden=64,
        epochs=30,
        batch_size=256,
        learning_rate=1e-3,
        beta=0.3,
        debias=False,
        within_class=False,
        random_state=None,
    ):
        self.latent_dim = latent_dim
        self.n_bins = n_bins
        self.alpha = alpha
        self.aggregate = aggregate
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.beta = beta
        self.debias = debias
        self.within_class = within_class
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the VAE on ``X`` and build the latent histograms.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table, at least 2 rows; numbers, categories, strings and
            booleans, missing values allowed.
        y : array-like of shape (n_samples,), default=None
            Class labels, needed and used only with ``within_class``: each class
            then gets its own histograms, so that a row is scored against the
            rows of its class. The VAE sees X alone.

        Returns
        -------
        self : LatentRarity
            The fitted estimator.
        """
        frame = check_rows(X, type(self).__name__)
        labels = check_labels(y, len(frame)) if self.within_class else None
        if self.within_class and labels is None:
            raise ValueError(NEEDS_FIT_LABELS)
        rng = check_random_state(self.random_state)
        self.encoder_ = TabularEncoder(random_state=rng.randint(2**31 - 1))
        codes = self.encoder_.fit_transform(frame)
        self.feature_names_in_ = self.encoder_.feature_names_in_
        self.n_features_in_ = self.encoder_.n_features_in_
        self._train(codes, seed=int(rng.randint(2**31 - 1)))
        means = self._means(codes)
        self.latent_centre_, self.latent_axes_ = latent_axes(means)
        self._fit_histograms(self._project(means), labels)
        return self

    def _train(self, codes, seed):
        # torch is imported here only, so that the package imports without it.
        from ._training import train_vae

        settings = {
            name: getattr(self, name)
            for name in (
                "latent_dim",
                "hidden",
                "epochs",
                "batch_size",
                "learning_rate",
                "beta",
            )
        }
        self.encoder_layers_, self.decoder_layers_ = train_vae(
            normal_scores(codes, self._numeric),
            self.encoder_.spans_,
            seed=seed,
            debias_weights=self._training_weights if self.debias else None,
            **settings,
        )

    def _training_weights(self, means):
        """DB-VAE's sampling weights of the training rows, from their means."""
        histograms = LatentHistograms(means, self.n_bins)
        scores = rarity_scores(
            histograms.density(means), alpha=self.alpha, aggregate=self.aggregate
        )
        # Capped, so that a handful of rows cannot fill a whole epoch.
        return capped_weights(scores, cap=20.0)

    def _fit_histograms(self, means, labels):
        if labels is None:
            self.classes_ = None
            self.histograms_ = [LatentHistograms(means, self.n_bins)]
            return
        self.classes_, index = np.unique(labels, return_inverse=True)
        counts = np.bincount(index)
        if counts.min() < 2:
            label = self.classes_[counts.argmin()]
            label = label.item() if isinstance(label, np.generic) else label
            raise ValueError(SMALL_CLASS.format(label=label, n=counts.min()))
        self.histograms_ = [
            LatentHistograms(means[index == k], self.n_bins)
            for k in range(len(self.classes_))
        ]

    def _means(self, codes):
        return self._latents(codes)[0]

    def _project(self, means):
        return (means - self.latent_centre_) @ self.latent_axes_

    @property
    def _numeric(self):
        return [s.start for s in self.encoder_.spans_ if s.kind == "numeric"]

    def _latents(self, codes):
        """Return the latent means and log-variances of encoded rows."""
        scores = normal_scores(codes, self._numeric)
        parts = [
            forward(self.encoder_layers_, scores[i : i + SCORE_BATCH])
            for i in range(0, len(codes), SCORE_BATCH)
        ]
        output = np.concatenate(parts).astype(np.float64)
        mean, log_var = np.split(output, 2, axis=1)
        # As in the VAE's training (TabularVAE.encode).
        return mean, np.clip(log_var, -10.0, 10.0)

    def latent_means(self, X):
        """Return each row's latent mean, the VAE encoder's output.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows with the columns seen at fit time.

        Returns
        -------
        means : ndarray of shape (n_samples, latent_dim)
            All latent dimensions, active or not.
        """
        check_is_fitted(self)
        return self._means(self.encoder_.transform(X))

    def score_samples(self, X, y=None):
        """Return each row's rarity: higher is rarer.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows with the columns seen at fit time.
        y : array-like of shape (n_samples,), default=None
            The rows' labels; needed, and only used, with ``within_class``.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``sum_i -log(Q_i(z_i) + alpha)`` (``aggregate="product"``) or its
            largest term (``"max"``); ``exp`` of it is DB-VAE's weight.
        """
        means = self._project(self.latent_means(X))
        density = np.empty_like(means)
        if self.classes_ is None:
            density[:] = self.histograms_[0].density(means)
        else:
            for k, rows in self._class_rows(y, len(means)):
                density[rows] = self.histograms_[k].density(means[rows])
        return rarity_scores(density, alpha=self.alpha, aggregate=self.aggregate)

    def _class_rows(self, y, n_rows):
        """Yield each class's index and the rows of ``y`` in it."""
        labels = check_labels(y, n_rows)
        if labels is None:
            raise ValueError(NEEDS_LABELS.format(estimator=type(self).__name__))
        unseen = np.setdiff1d(np.unique(labels), self.classes_)
        if len(unseen):
            raise ValueError(UNSEEN_CLASSES.format(values=unseen.tolist()))
        index = np.searchsorted(self.classes_, labels)
        for k in np.unique(index):
            yield k, index == k

    def minority(self, X, y=None, *, share=0.1):
        """Return a mask of the rarest ``share`` of the rows of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows with the columns seen at fit time.
        y : array-like of shape (n_samples,), default=None
            Their labels, with ``within_class``.
        share : float in (0, 1), default=0.1
            Share of the rows to mark: ``max(1, round(share * n_samples))`` of
            them, the highest scores (earlier rows first among ties).

        Returns
        -------
        mask : ndarray of bool of shape (n_samples,)
            True for the rarest rows.
        """
        return top_share(self.score_samples(X, y), share)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The table encoder codes missing values, categories and strings.
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags

    def decode(self, z):
        """Return the table rows the VAE decodes latent codes ``z`` into.

        Parameters
        ----------
        z : array-like of shape (n_samples, latent_dim)
            Latent codes, e.g. :meth:`latent_means` plus noise.

        Returns
        -------
        X : DataFrame of shape (n_samples, n_features_in_)
            Rows with fit's columns and dtypes.
        """
        check_is_fitted(self)
        raw = forward(self.decoder_layers_, np.asarray(z, dtype=np.float32))
        # Normal scores back to quantile codes; categorical blocks decode by their
        # largest logit, as they are.
        raw[:, self._numeric] = 2.0 * ndtr(raw[:, self._numeric]) - 1.0
        return self.encoder_.inverse_transform(raw)
