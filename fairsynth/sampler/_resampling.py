"""How FairGANSampler puts real, copied and generated rows together.

A mixin of :class:`~fairsynth.sampler.FairGANSampler`: ``resample`` reuses the
trained networks on new data, and both it and ``fit_resample`` assemble their
table here.
"""

import copy

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ._fitting import GENERATION_PARAMS


class Resampling:
    """The resampling side of FairGANSampler."""

    def resample(self, X, y):
        """Resample with the networks :meth:`fit` trained, without training again.

        Training is nearly all of the cost of :meth:`fit_resample`. After
        ``set_params`` of ``sampling_strategy``, ``parity_strength``,
        ``boundary_focus``, ``copy_share`` or ``label_fairness``, ``resample``
        tries the new correction in seconds. The fitted state (``cell_counts_``,
        ``sampling_strategy_``, what :meth:`sample` draws) stays as :meth:`fit`
        left it; only the random state moves on, and ``resample_cell_counts_``
        tells the cells of this resampling.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Data with the columns, groups and classes seen in fit; usually the
            data given to fit.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        X_resampled, y_resampled
            As from :meth:`fit_resample`.
        """
        check_is_fitted(self, "net_")
        self._validate_params()
        changed = [
            name
            for name, value in self.get_params(deep=False).items()
            if name not in GENERATION_PARAMS
            and value is not self._trained_params[name]
            and value != self._trained_params[name]
        ]
        if changed:
            raise ValueError(
                f"{changed} changed since fit, and they shape the trained networks; "
                "call fit_resample instead. resample may only change "
                f"{sorted(GENERATION_PARAMS)}."
            )
        # The cells, targets and ranker of X go to a copy, which shares the
        # trained networks and the random state.
        work = copy.copy(self)
        frame, labels, cell_ids = work._read(X, y, reset=False)
        work._fit_ranker(frame, cell_ids)
        resampled = work._resample(frame, labels, cell_ids)
        self.resample_cell_counts_ = work.cell_counts_
        self.row_origin_ = work.row_origin_
        return resampled

    def _resample(self, frame, labels, cell_ids):
        """Return the real rows (unless ``keep_real=False``), copies, then generated."""
        if self._labels_fairly():
            new_frame, new_labels = self._fair_table(frame, cell_ids)
            self.row_origin_ = np.full(len(new_frame), "generated", dtype=object)
            return self._restore(new_frame, new_labels)
        copied = self._copied_cells()
        new_frame, new_labels = self._generate(
            self._added_cells() - copied, focus=self._added_rows_focus()
        )
        parts = {"generated": len(new_frame)}
        if self.keep_real:
            copies = self._copy_rows(frame, cell_ids, copied)
            new_frame = pd.concat(
                [frame, frame.iloc[copies], new_frame], ignore_index=True
            )
            new_labels = np.concatenate([labels, labels[copies], new_labels])
            parts = {"real": len(frame), "copied": len(copies), **parts}
        self.row_origin_ = np.repeat(
            np.array(list(parts), dtype=object), list(parts.values())
        )
        return self._restore(new_frame, new_labels)
