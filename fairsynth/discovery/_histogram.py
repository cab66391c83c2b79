"""Per-dimension latent histograms, and the rarity they give each row (DB-VAE)."""

import numpy as np

# A latent dimension whose means vary less than this over the rows carries no
# information (Burda et al.'s activity threshold): the KL term has switched it off,
# and its histogram would only add noise to the score.
ACTIVE_VARIANCE = 0.01
# How far past its range, relative to the range, a value still counts as inside.
EDGE_SLACK = 1e-6


def latent_axes(means):
    """Return the centre and principal axes of the latent means that the rows use.

    The histograms treat each axis on its own, as if independent; principal axes
    are at least uncorrelated. Axes along which the means vary less than
    ``ACTIVE_VARIANCE`` are dropped (all kept if none is above it).
    """
    centre = means.mean(axis=0)
    variance, axes = np.linalg.eigh(
        np.cov(means - centre, rowvar=False).reshape(means.shape[1], means.shape[1])
    )
    order = np.argsort(variance)[::-1]
    variance, axes = variance[order], axes[:, order]
    active = variance > ACTIVE_VARIANCE
    return centre, axes[:, active] if active.any() else axes


class LatentHistograms:
    """Histograms of latent means, one per dimension, with ``n_bins`` equal bins.

    The bins span each dimension's range over the fitted rows. A value is in bin
    ``floor((z - low) / width)``, and the maximum is in the top bin, not past it.
    Values outside the range (by more than a millionth of it) have density 0.

    Parameters
    ----------
    means : ndarray of shape (n_rows, n_dims)
        Latent means of the rows.
    n_bins : int
        Bins per dimension.
    """

    def __init__(self, means, n_bins):
        self.low = means.min(axis=0)
        self.high = means.max(axis=0)
        # A constant dimension still gets a bin of positive width.
        self.width = np.maximum(self.high - self.low, 1e-12) / n_bins
        self.n_bins = n_bins
        index, _ = self._bins(means)
        self.mass = np.stack(
            [
                np.bincount(index[:, d], minlength=n_bins) / len(means)
                for d in range(means.shape[1])
            ],
            axis=1,
        )

    def _bins(self, z):
        raw = np.floor((z - self.low) / self.width)
        # A fitted row at the edge of the range must stay inside when it is scored
        # again: matrix products of other batch sizes differ in the last bits.
        slack = EDGE_SLACK * self.width * self.n_bins
        inside = (z >= self.low - slack) & (z <= self.high + slack)
        # The top edge belongs to the top bin (np.floor puts the maximum one past it).
        return np.clip(raw, 0, self.n_bins - 1).astype(np.intp), inside

    def density(self, z):
        """Return ``Q_d(z_d)``, the share of fitted rows in each value's bin."""
        index, inside = self._bins(z)
        mass = np.take_along_axis(self.mass, index, axis=0)
        return np.where(inside, mass, 0.0)


def rarity_scores(density, *, alpha, aggregate):
    """Log of DB-VAE's weight: ``sum_d -log(Q_d + alpha)`` or its max over ``d``."""
    surprise = -np.log(density + alpha)
    if aggregate == "product":
        return surprise.sum(axis=1)
    return surprise.max(axis=1)
