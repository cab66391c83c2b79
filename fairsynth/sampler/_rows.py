"""How FairGANSampler makes rows: generated ones, copies, and fair labels.

A mixin of :class:`~fairsynth.sampler.FairGANSampler`, kept apart so that neither
module grows long: the sampler module decides how many rows each cell gets, this
one makes them.
"""

import numpy as np
import pandas as pd

from . import _fair_labels as fair_labels
from . import _strategy as strategy
from ._boundary import (
    CANDIDATES,
    choose_contrary_rows,
    contrary_probability,
    draw_copies,
)
from ._validation import restore_container, restore_target

# Rows generated at once (candidates included): about 100 MB of codes on Adult.
GENERATED_CHUNK_ROWS = 200_000


class RowMaking:
    """The sampling side of FairGANSampler, on its fitted attributes."""

    def _copy_rows(self, frame, cell_ids, copied):
        """Positions of the real rows to copy: ``copied`` per cell (``copy_share``)."""
        if not copied.any():
            return np.zeros(0, dtype=np.int64)
        focus = self._added_rows_focus()
        contrary = np.ones(len(cell_ids))
        if focus:
            contrary = contrary_probability(
                self._ranker, self._features(frame), cell_ids, len(self.classes_)
            )
        return draw_copies(contrary, cell_ids, copied.ravel(), focus, self._rng)

    def _labels_fairly(self):
        """Whether the table is fully generated and labelled by ``label_fairness``."""
        return not self.keep_real and len(self.groups_) > 1 and len(self.classes_) == 2

    def _fair_table(self, frame, cell_ids):
        """Generate a whole table, labelled as a classifier fair on real rows would.

        Each group's rows follow its real rows (its real class shares); the
        cell targets then say how many of them are positive (see ``_fair_labels``).
        """
        targets = self._added_cells()
        drawn = np.vstack(
            [
                strategy.round_to_total(real, total)
                for real, total in zip(self._counts, targets.sum(axis=1), strict=True)
            ]
        )
        generated, _ = self._generate(drawn)
        n_groups = len(self.groups_)
        real_positive, real_group = fair_labels.positive_and_group(
            self._cell_posteriors(frame), n_groups
        )
        rate = self._counts[:, 1].sum() / self._counts.sum()
        offsets = fair_labels.group_offsets(
            real_positive, real_group, cell_ids // len(self.classes_), rate
        )
        positive, group = fair_labels.positive_and_group(
            self._cell_posteriors(generated), n_groups
        )
        score = positive - 0.5 + self.label_fairness * group @ offsets
        groups = np.repeat(np.arange(n_groups), drawn.sum(axis=1))
        labels = fair_labels.top_rows_positive(score, groups, targets[:, 1])
        return generated, self.classes_[labels]

    def _cell_posteriors(self, frame):
        """Return the generator's ``P(cell | x)`` of each row of ``frame``."""
        tokens = self.tokenizer_.transform(self._features(frame))
        n_cells, n_classes = self._counts.size, len(self.classes_)
        log_likelihoods = np.empty((len(tokens), n_cells))
        for cell in range(n_cells):
            group, label = divmod(cell, n_classes)
            codes = np.tile([*self._group_codes[group], label], (len(tokens), 1))
            log_likelihoods[:, cell] = self.net_.log_likelihoods(tokens, codes)
        return fair_labels.cell_posteriors(log_likelihoods, self._counts)

    def _fair_cells(self, n_samples, groups, label):
        """Rows per cell of ``n_samples`` generated rows (see :meth:`sample`).

        The fair joint distribution, restricted to the cells ``groups`` and
        ``label`` name; a cell too small to learn is refused.
        """
        weights = strategy.fair_joint(self._counts) * self._cell_mask(groups, label)
        cells = strategy.round_to_total(weights, n_samples)
        strategy.check_learnable(
            self._counts, cells > 0, self.groups_, self.classes_.tolist()
        )
        return cells

    def _cell_mask(self, groups, label):
        """1 for the cells that match the requested ``groups`` and ``label``, else 0."""
        mask = np.ones_like(self._counts, dtype=float)
        for name, value in (groups or {}).items():
            if name not in self.sensitive_:
                raise ValueError(
                    f"groups names {name!r}, which is not a sensitive column; the "
                    f"sensitive columns are {self.sensitive_}."
                )
            values = self.sensitive_values_[self.sensitive_.index(name)]
            if value not in values:
                raise ValueError(
                    f"{value!r} is not a group of {name!r}; the groups seen in fit "
                    f"are {values}."
                )
            mask[
                self._group_codes[:, self.sensitive_.index(name)] != values.index(value)
            ] = 0
        if label is not None:
            if label not in self.classes_:
                raise ValueError(
                    f"{label!r} is not a class seen in fit; the classes are "
                    f"{self.classes_.tolist()}."
                )
            mask[:, self.classes_ != label] = 0
        return mask

    def _generate(self, cells, *, focus=0.0):
        """Generate features (a frame with X's columns) and labels for ``cells``.

        With ``focus``, draw candidates and keep the contrary ones (``boundary_focus``).
        Rows are made in chunks, so that memory stays bounded however many are asked.
        """
        chunk_rows = GENERATED_CHUNK_ROWS // (CANDIDATES if focus else 1)
        parts = [
            self._generate_chunk(part, focus)
            for part in strategy.split_cells(cells, chunk_rows)
        ] or [self._generate_chunk(cells, focus)]
        frame = pd.concat([part[0] for part in parts], ignore_index=True)
        return frame, np.concatenate([part[1] for part in parts])

    def _generate_chunk(self, cells, focus):
        """One chunk of :meth:`_generate`."""
        drawn = cells * CANDIDATES if focus else cells
        cell_ids = np.repeat(np.arange(drawn.size), drawn.ravel())
        group_ids, class_codes = np.divmod(cell_ids, drawn.shape[1])
        codes = np.column_stack([self._group_codes[group_ids], class_codes])
        frame = self._decode(codes)
        if focus and len(frame):
            keep = choose_contrary_rows(
                self._ranker,
                frame,
                cell_ids,
                cells.ravel(),
                len(self.classes_),
                focus,
                self._rng,
            )
            frame = frame.iloc[keep].reset_index(drop=True)
            codes, class_codes = codes[keep], class_codes[keep]
        frame.columns = self._feature_columns
        for j, name in enumerate(self.sensitive_):
            values = np.asarray(self.sensitive_values_[j], dtype=object)
            frame[name] = values[codes[:, j]]
        frame = frame[list(self._template.columns)].astype(
            self._template.dtypes.to_dict()
        )
        return frame, self.classes_[class_codes]

    def _decode(self, codes):
        """Generate the non-sensitive columns of one row per conditioning code.

        Two uniforms per column are the row's latent: one picks its token from
        the generator, the other its value within a numeric bin.
        """
        n_columns = len(self.tokenizer_.columns_)
        uniforms = self._rng.random_sample((len(codes), 2 * n_columns))
        tokens = self.net_.sample_tokens(codes.astype(np.int64), uniforms[:, ::2])
        return self.tokenizer_.inverse_transform(tokens, uniforms[:, 1::2])

    def _restore(self, frame, labels):
        X_out = restore_container(frame.reset_index(drop=True), self._container)
        return X_out, restore_target(labels, self._target_info)
