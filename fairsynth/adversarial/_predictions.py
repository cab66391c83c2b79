"""Predictions of a binary classifier whose network returns one logit per row."""

import numpy as np


class LogitPredictions:
    """``decision_function``, ``predict_proba`` and ``predict`` from one logit.

    The estimator provides ``_transform(X)`` (the encoded features, as a tensor)
    and ``net_.forward`` (the network's logits for them), and ``classes_``.
    """

    def decision_function(self, X):
        """Return the logit of ``classes_[1]``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            Same columns as in ``fit``; the sensitive columns are ignored.

        Returns
        -------
        ndarray of shape (n_samples,)
            Positive values predict ``classes_[1]``.
        """
        features = self._transform(X)  # checks that the estimator is fitted
        logits = self.net_.forward(features)
        return logits.reshape(-1).numpy().astype(np.float64)

    def predict_proba(self, X):
        """Return the probability of each class.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            Same columns as in ``fit``; the sensitive columns are ignored.

        Returns
        -------
        ndarray of shape (n_samples, 2)
            Columns ordered as ``classes_``.
        """
        proba = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - proba, proba])

    def predict(self, X):
        """Return the predicted class.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            Same columns as in ``fit``; the sensitive columns are ignored.

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]
