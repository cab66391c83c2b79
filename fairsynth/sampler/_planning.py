"""How FairGANSampler reads its data and plans the rows each cell gets.

A mixin of :class:`~fairsynth.sampler.FairGANSampler`: it validates the data,
indexes its ``(group, class)`` cells, and works out the targets, the rows to add
and the copies; fitting and row-making build on what it records.
"""

import numpy as np
import pandas as pd
from sklearn.utils.validation import validate_data

from . import _strategy as strategy
from ._boundary import fit_ranker
from ._cells import check_same_cells, index_cells
from ._validation import (
    as_frame,
    check_sensitive_values,
    check_target,
    resolve_sensitive,
)

# boundary_focus="auto" under parity; measured on Adult, see benchmarks/bench_pipeline.
PARITY_FOCUS = 2.0


class CellPlanning:
    """The data and cell side of FairGANSampler."""

    def _read(self, X, y, *, reset):
        """Validate ``X`` and ``y``, index their cells, and work out the targets.

        Returns the data as a frame, the labels, and each row's cell number,
        ``group * n_classes + class``. With ``reset=False`` (:meth:`resample`) the
        data must have fit's columns, groups and classes, which the trained networks
        are conditioned on.
        """
        frame, labels, cell_ids = self._index(X, y, reset=reset)
        self._plan(labels, frame)
        return frame, labels, cell_ids

    def _index(self, X, y, *, reset):
        """:meth:`_read` without the targets: validate, and index the cells."""
        frame, container = as_frame(X)
        validate_data(self, X=frame, skip_check_array=True, reset=reset)
        labels, target_info = check_target(y, len(frame))
        sensitive = resolve_sensitive(self.sensitive, frame)
        check_sensitive_values(frame, sensitive)
        cells = index_cells(frame, labels, sensitive)
        if not reset:
            check_same_cells(
                cells, self.classes_, self.sensitive_values_, self._group_codes
            )
        self._container, self._target_info = container, target_info
        self.sensitive_, self._template = sensitive, frame.iloc[:0]
        (
            self.classes_,
            self.sensitive_values_,
            self._group_codes,
            self._counts,
            group_ids,
            class_codes,
        ) = cells
        self.groups_ = [self._group_key(codes) for codes in self._group_codes]
        return frame, labels, group_ids * len(self.classes_) + class_codes

    def _plan(self, labels, frame):
        """Work out every cell's target from the cell counts, and record the cells.

        ``labels`` and ``frame`` are read by strategies that count classes
        themselves (imbalanced-learn's, without ``sensitive``) and by callables.
        """
        self._targets = self._resolve_targets(labels, frame)
        self._record_cells()

    def _features(self, frame):
        """Return the non-sensitive columns, named by string as the encoder wants."""
        features = frame.drop(columns=self.sensitive_)
        self._feature_columns = list(features.columns)
        # NumPy input has integer column labels.
        features.columns = [str(name) for name in features.columns]
        return features

    def _fit_ranker(self, frame, cell_ids):
        """Fit the cell ranker of ``boundary_focus``, where a focus applies."""
        self._ranker = None
        if self._added_rows_focus():
            self._ranker = fit_ranker(self._features(frame), cell_ids)

    def _added_rows_focus(self):
        """``boundary_focus`` where it applies (rows added to real ones), resolved."""
        if not self.keep_real:
            return 0.0
        if self.boundary_focus != "auto":
            return self.boundary_focus
        parity = self.sampling_strategy == "parity" or (
            self.sampling_strategy == "auto" and self.sensitive_
        )
        return PARITY_FOCUS if parity else 0.0

    def _group_key(self, codes):
        values = tuple(
            values[c] for values, c in zip(self.sensitive_values_, codes, strict=True)
        )
        return values[0] if len(values) == 1 else (values or None)

    def _resolve_targets(self, labels, frame):
        chosen = self.sampling_strategy
        if not self.sensitive_:
            return strategy.class_targets(chosen, labels, self.classes_)
        if callable(chosen):
            chosen = chosen(labels, frame[self.sensitive_])
        return strategy.resolve_targets(
            chosen,
            self._counts,
            self.groups_,
            self.classes_.tolist(),
            self.parity_strength,
        )

    def _added_cells(self):
        """Rows to add per cell: the growth, or a whole table (keep_real=False)."""
        if self.keep_real:
            return self._targets - self._counts
        return strategy.generated_targets(
            self.sampling_strategy, self._counts, self._targets, self.parity_strength
        )

    def _copied_cells(self):
        """Return how many of :meth:`_added_cells` copy real rows (``copy_share``)."""
        if not self.keep_real:
            return np.zeros_like(self._counts)
        return np.rint(self.copy_share * self._added_cells()).astype(np.int64)

    def _record_cells(self):
        added, copied = self._added_cells(), self._copied_cells()
        # Copies need as many real rows as generated rows do: copying a handful of
        # rows hundreds of times would teach a model those rows, not the cell.
        strategy.check_learnable(
            self._counts, added > 0, self.groups_, self.classes_.tolist()
        )
        keys = [
            (group, label) if self.sensitive_ else label
            for group in self.groups_
            for label in self.classes_.tolist()
        ]
        self.sampling_strategy_ = dict(zip(keys, added.ravel().tolist(), strict=True))
        self.cell_counts_ = pd.DataFrame(
            {
                "group": [group for group in self.groups_ for _ in self.classes_],
                "class": np.tile(self.classes_, len(self.groups_)),
                "n_real": self._counts.ravel(),
                "n_copied": copied.ravel(),
                "n_generated": (added - copied).ravel(),
            }
        ).assign(n_total=lambda t: added.ravel() + self.keep_real * t["n_real"])
