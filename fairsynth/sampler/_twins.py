"""Counterfactual twins: a row as it would be in another group, all else alike.

A mixin of :class:`~fairsynth.sampler.FairGANSampler`. A twin is decoded column by
column in the other group's cell from the row's own noise: its Gumbel-max noise
(:meth:`fairsynth.nn.Generator.counterfactual`), or, for the hyperplane method,
its place in each column's distribution (:meth:`fairsynth.nn.Generator.encode`).
A column whose value the change leaves in place keeps the row's exact value.
"""

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted, validate_data

from ._validation import as_frame, check_target

TWIN_METHODS = ("condition", "hyperplane")
# Generated rows the hyperplane method fits its hallucinated labels and SVMs on.
HYPERPLANE_ROWS = 20_000
# Uniforms stay this far inside (0, 1), so that their normal scores are finite.
UNIFORM_MARGIN = 1e-6


def complementary_latents(z, target_normal, group_normal, group_bias):
    """Reflect ``z`` across the group's hyperplane along the target's.

    With unit normals ``w_t`` and ``w_g`` (Ramaswamy, Kim and Russakovsky, 2021):
    ``z' = z - 2 (w_g·z + b_g) / (1 - (w_g·w_t)^2) (w_g - (w_g·w_t) w_t)``, so
    ``w_g·z' + b_g = -(w_g·z + b_g)`` and ``w_t·z' = w_t·z``: the group's score
    changes sign, the target's stays.
    """
    cosine = group_normal @ target_normal
    direction = group_normal - cosine * target_normal
    step = 2 * (z @ group_normal + group_bias) / (1 - cosine**2)
    return z - step[:, None] * direction


def unit_hyperplane(z, labels, seed):
    """Fit a linear SVM on ``z``; return its normal and bias, scaled to unit norm.

    Classes are weighted to balance, so that the hyperplane runs where the two
    meet: a larger class would push it to the smaller one's edge, and the
    reflection would then carry most latents far out.
    """
    svm = LinearSVC(class_weight="balanced", random_state=seed).fit(z, labels)
    norm = np.linalg.norm(svm.coef_[0])
    return svm.coef_[0] / norm, svm.intercept_[0] / norm


class CounterfactualTwins:
    """The counterfactual side of FairGANSampler, on its fitted attributes."""

    def counterfactuals(
        self, X, y=None, *, groups=None, method="condition", proximity=0.0
    ):
        """Each row's twin in other groups: the same noise, the group changed.

        A twin keeps its row's label and the noise that, in the generator, makes
        the row. Its sensitive columns take the other group's values, and its
        other columns what the generator makes of that noise in the other
        group's cell. A value the change leaves alone stays exactly as it
        was; a value that names the group (a ``relationship`` of ``Husband``)
        changes with it. See :ref:`counterfactuals` in the user guide.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows with fit's columns, sensitive columns included, and groups seen
            in fit. The index must be unique: the twins' index names their rows.
        y : array-like of shape (n_samples,), default=None
            The rows' labels, classes seen in fit. None takes the most likely
            class of each row under the generator.
        groups : None, str, list of str or dict, default=None
            Which twins each row gets. None: one in every other group (every
            other intersection, with several sensitive columns). A column name
            or list of names: one for every other combination of those columns,
            the other sensitive columns kept. A dict such as
            ``{"sex": "Female"}``: one in the group with those values, for each
            row not already in it.
        method : {"condition", "hyperplane"}, default="condition"
            ``"condition"``: a Gumbel-max counterfactual, the row's noise
            drawn given the row and decoded in the twin's cell, seeded by fit's
            ``random_state`` (a row listed twice gets two twins).
            ``"hyperplane"``: the row's :meth:`latents` are moved across the
            hyperplane that separates the groups in the generator's own rows,
            along the one that separates the classes (Ramaswamy, Kim and
            Russakovsky, 2021), then decoded in the twin's cell; it needs a
            binary label.
        proximity : float >= 0, default=0.0
            With ``method="condition"``, a bonus (in log-odds) to each value
            for staying as it is. 0 gives the generator's own counterfactual:
            a value changes when the twin's group makes another value more
            likely relative to it, so twins are as realistic as generated rows
            but change every value the group shifts. Larger values keep more
            of the row, for nearer but less realistic twins; the trade-off is
            measured in :ref:`counterfactuals`.

        Returns
        -------
        X_twin : DataFrame of shape (n_twins, n_features)
            The twins, with X's columns and dtypes. Its index holds each twin's
            source row: its label in X's index, or its position for NumPy X.
            ``X.loc[X_twin.index]`` lines the sources up with their twins.
        y_twin : Series of shape (n_twins,)
            The twins' labels (their sources'), with the same index.

        Examples
        --------
        >>> from fairsynth import FairGANSampler
        >>> from fairsynth.datasets import make_biased_classification
        >>> X, y = make_biased_classification(n_samples=200, random_state=0)
        >>> sampler = FairGANSampler(
        ...     sensitive="group", epochs=1, d_model=8, n_heads=2, dim_feedforward=16,
        ...     adversary_hidden=8, random_state=0,
        ... ).fit(X, y)
        >>> X_twin, y_twin = sampler.counterfactuals(X.head(3), y.head(3))
        >>> X.head(3)["group"].tolist(), X_twin["group"].tolist()
        (['g1', 'g1', 'g1'], ['g0', 'g0', 'g0'])
        >>> (y_twin == y.head(3)).all()
        True
        """
        check_is_fitted(self, "net_")
        if not proximity >= 0:
            raise ValueError(f"proximity must be a number >= 0; got {proximity!r}.")
        if method not in TWIN_METHODS:
            raise ValueError(
                f"method must be one of {list(TWIN_METHODS)}; got {method!r}."
            )
        if method == "hyperplane" and len(self.classes_) != 2:
            raise ValueError(
                "method='hyperplane' needs a binary label, to keep its score; this "
                f"sampler was fit on {len(self.classes_)} classes. Use "
                "method='condition'."
            )
        index, features, tokens, group_ids, class_codes = self._read_rows(X, y)
        if not index.is_unique:
            raise ValueError(
                "X's index has repeated labels, so the twins' index could not name "
                "their rows; call X.reset_index(drop=True) first."
            )
        sources, twin_groups = self._twin_pairs(group_ids, groups)
        self._check_twin_cells(twin_groups, class_codes[sources])
        codes = self._cell_codes(group_ids[sources], class_codes[sources])
        twin_codes = self._cell_codes(twin_groups, class_codes[sources])
        if method == "hyperplane":
            z = self._normal_scores(tokens[sources], codes)
            uniforms = self._reflected_latents(z, twin_groups)
            twin_tokens = self.net_.sample_tokens(twin_codes, uniforms)
        else:
            twin_tokens = self.net_.counterfactual_tokens(
                tokens[sources],
                codes,
                twin_codes,
                seed=self.tokenizer_.random_state,
                proximity=proximity,
            )
        twins = self._twin_frame(features.iloc[sources], tokens[sources], twin_tokens)
        for j, name in enumerate(self.sensitive_):
            values = np.asarray(self.sensitive_values_[j], dtype=object)
            twins[name] = values[twin_codes[:, j]]
        twins = twins[list(self._template.columns)].astype(
            self._template.dtypes.to_dict()
        )
        twins.index = index[sources]
        labels = pd.Series(self.classes_[class_codes[sources]], index=twins.index)
        return twins, labels.rename(getattr(y, "name", None))

    def latents(self, X, y=None):
        """Return each row's latent: where its values fall in its cell's distribution.

        Column ``j``'s coordinate is the normal score of the middle of the
        interval its value takes in the cumulative distribution the generator
        gives column ``j``, in the row's cell and after its earlier columns
        (:meth:`fairsynth.nn.Generator.encode`). Typical rows sit near 0 in
        every coordinate, whatever their cell, so distances compare rows of
        different groups by their places within their own groups.
        ``method="hyperplane"`` moves twins in this space.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows, as in :meth:`counterfactuals`.
        y : array-like of shape (n_samples,), default=None
            Their labels; None takes each row's most likely class.

        Returns
        -------
        ndarray of shape (n_samples, n_columns)
            One coordinate per non-sensitive column, in fit's order.

        Examples
        --------
        >>> from fairsynth import FairGANSampler
        >>> from fairsynth.datasets import make_biased_classification
        >>> X, y = make_biased_classification(n_samples=200, random_state=0)
        >>> sampler = FairGANSampler(
        ...     sensitive="group", epochs=1, d_model=8, n_heads=2, dim_feedforward=16,
        ...     adversary_hidden=8, random_state=0,
        ... ).fit(X, y)
        >>> sampler.latents(X, y).shape
        (200, 8)
        """
        check_is_fitted(self, "net_")
        _, _, tokens, group_ids, class_codes = self._read_rows(X, y)
        return self._normal_scores(tokens, self._cell_codes(group_ids, class_codes))

    def _normal_scores(self, tokens, codes):
        """Return the latents of ``tokens`` in the cells ``codes`` (see latents)."""
        uniforms = self.net_.encode_tokens(tokens, codes).astype(np.float64)
        # A value its cell never had in fit has no interval, hence no finite score.
        return ndtri(np.clip(uniforms, UNIFORM_MARGIN, 1 - UNIFORM_MARGIN))

    def _read_rows(self, X, y):
        """X's index, features and tokens, and its rows' group and class codes."""
        frame, index = self._checked_frame(X)
        group_ids = self._source_groups(frame)
        features = self._features(frame)
        tokens = self.tokenizer_.transform(features)
        return (
            index,
            features,
            tokens,
            group_ids,
            self._source_classes(y, tokens, group_ids),
        )

    def _checked_frame(self, X):
        """X as a frame with fit's columns, and the index that names its rows."""
        frame, _ = as_frame(X)
        missing = [name for name in self.sensitive_ if name not in frame.columns]
        if missing:
            raise ValueError(
                f"X lacks the sensitive column(s) {missing}, which say each row's "
                "group and cell; pass X with them."
            )
        validate_data(self, X=frame, skip_check_array=True, reset=False)
        index = frame.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(X))
        return frame.reset_index(drop=True), index

    def _source_groups(self, frame):
        """Each row's group number, checked against the groups seen in fit."""
        for name in self.sensitive_:
            if frame[name].isna().any():
                raise ValueError(
                    f"The sensitive column {name!r} has missing values, so those "
                    "rows have no group to leave; fill or drop them."
                )
        codes = np.column_stack(
            [
                pd.Index(values).get_indexer(frame[name])
                for name, values in zip(
                    self.sensitive_, self.sensitive_values_, strict=True
                )
            ]
            or [np.zeros((len(frame), 0), dtype=np.int64)]
        )
        lookup = {tuple(group): g for g, group in enumerate(self._group_codes)}
        group_ids = np.array([lookup.get(tuple(row), -1) for row in codes])
        if (group_ids < 0).any():
            row = int(np.flatnonzero(group_ids < 0)[0])
            values = frame.loc[row, self.sensitive_].tolist()
            raise ValueError(
                f"Row {row} is in a group not seen in fit ({values} for "
                f"{self.sensitive_}); fit saw {self.groups_}."
            )
        return group_ids

    def _source_classes(self, y, tokens, group_ids):
        """Each row's class code: ``y``'s, else the generator's most likely class."""
        if y is not None:
            labels, _ = check_target(y, len(tokens))
            unseen = ~np.isin(labels, self.classes_)
            if unseen.any():
                raise ValueError(
                    f"y holds classes not seen in fit, e.g. {labels[unseen][0]!r}; "
                    f"the classes are {self.classes_.tolist()}."
                )
            return np.searchsorted(self.classes_, labels)
        n_classes = len(self.classes_)
        scores = np.column_stack(
            [
                self.net_.log_likelihoods(
                    tokens, self._cell_codes(group_ids, np.full_like(group_ids, c))
                )
                + np.log(self._counts[group_ids, c] + 1e-12)
                for c in range(n_classes)
            ]
        )
        return scores.argmax(axis=1)

    def _cell_codes(self, group_ids, class_codes):
        """Return the generator's conditioning codes of (group, class) pairs."""
        return np.column_stack([self._group_codes[group_ids], class_codes]).astype(
            np.int64
        )

    def _twin_pairs(self, group_ids, groups):
        """Source row positions and twin group numbers, one pair per twin."""
        sensitive = self.sensitive_
        if groups is None:
            changed, fixed = sensitive, {}
        elif isinstance(groups, dict):
            changed, fixed = list(groups), groups
        else:
            changed, fixed = ([groups] if isinstance(groups, str) else list(groups)), {}
        unknown = [name for name in changed if name not in sensitive]
        if unknown or not changed:
            raise ValueError(
                f"groups must name sensitive columns {sensitive}; got {groups!r}."
            )
        wanted = self._cell_mask(fixed, None)[:, 0] > 0
        kept = [j for j, name in enumerate(sensitive) if name not in changed]
        codes = self._group_codes
        sources, twins = [], []
        for g in range(len(codes)):
            same_kept = (codes[:, kept] == codes[g, kept]).all(axis=1)
            others = same_kept & wanted & (np.arange(len(codes)) != g)
            for twin in np.flatnonzero(others):
                rows = np.flatnonzero(group_ids == g)
                sources.append(rows)
                twins.append(np.full(len(rows), twin))
        if not sources:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        sources, twins = np.concatenate(sources), np.concatenate(twins)
        order = np.argsort(sources, kind="stable")
        return sources[order], twins[order]

    def _check_twin_cells(self, twin_groups, class_codes):
        """Check that every twin's cell is one the generator learned from real rows."""
        empty = self._counts[twin_groups, class_codes] == 0
        if empty.any():
            group, label = twin_groups[empty][0], class_codes[empty][0]
            raise ValueError(
                f"The cell {self.groups_[group]!r}, class "
                f"{self.classes_[label]!r} had no rows in fit, so the generator "
                "cannot make twins in it. Pass groups= to leave that group out."
            )

    def _twin_frame(self, features, tokens, twin_tokens):
        """Decode the twins; values whose decoding did not change are the source's."""
        twins = self.tokenizer_.inverse_transform(twin_tokens)
        unchanged = self.tokenizer_.inverse_transform(tokens)
        kept = (twins == unchanged) | (twins.isna() & unchanged.isna())
        twins = twins.mask(kept.to_numpy(), features.reset_index(drop=True))
        twins.columns = self._feature_columns
        return twins

    def _reflected_latents(self, scores, twin_groups):
        """Return the uniforms of complementary latents towards each twin's group.

        ``scores`` are the sources' latents (normal scores). Hyperplanes are
        fit on the normal scores of the latents of generated rows, labelled by
        classifiers the generator's own rows train: one for the label, one per
        twin group (that group against the rest).
        """
        # Seeded by fit's seeds, so that every call finds the same hyperplanes.
        rng = np.random.RandomState(self.tokenizer_.random_state)
        z, cell_ids, tokens = self._hallucination_rows(rng)
        one_hot = OneHotEncoder(
            categories=[np.arange(v) for v in self.tokenizer_.vocab_sizes_],
            handle_unknown="ignore",
        ).fit_transform(tokens)
        n_classes = len(self.classes_)
        group_of, class_of = np.divmod(cell_ids, n_classes)
        seed = int(rng.randint(2**31 - 1))
        target = LogisticRegression(max_iter=1000).fit(one_hot, class_of)
        target_normal, _ = unit_hyperplane(z, target.predict(one_hot), seed)
        group_model = LogisticRegression(max_iter=1000).fit(one_hot, group_of)
        hallucinated = group_model.predict(one_hot)
        source_z = scores.copy()
        for twin in np.unique(twin_groups):
            labels = hallucinated == twin
            if labels.all() or not labels.any():
                raise ValueError(
                    f"No hyperplane separates group {self.groups_[twin]!r} in the "
                    "generator's latent space: its rows cannot be told from the "
                    "others'. Use method='condition'."
                )
            normal, bias = unit_hyperplane(z, labels, seed)
            rows = twin_groups == twin
            source_z[rows] = complementary_latents(
                source_z[rows], target_normal, normal, bias
            )
        return np.clip(ndtr(source_z), UNIFORM_MARGIN, 1 - UNIFORM_MARGIN)

    def _hallucination_rows(self, rng):
        """Generate rows in fit's cell shares: their normal scores, cells and tokens."""
        shares = self._counts.ravel() / self._counts.sum()
        cell_ids = rng.choice(shares.size, size=HYPERPLANE_ROWS, p=shares)
        group_ids, class_codes = np.divmod(cell_ids, len(self.classes_))
        uniforms = rng.uniform(
            UNIFORM_MARGIN,
            1 - UNIFORM_MARGIN,
            (HYPERPLANE_ROWS, len(self.tokenizer_.columns_)),
        )
        tokens = self.net_.sample_tokens(
            self._cell_codes(group_ids, class_codes), uniforms
        )
        return ndtri(uniforms), cell_ids, tokens
