"""How minimal and how real counterfactual twins are, measured against real rows.

Three figures, each general (no table-specific choice):

- ``distance_ratio``: a row's distance to its twin over its distance to the nearest
  real row of the twin's cell (group and label), in a plain encoding of the
  non-sensitive columns (numbers scaled, categories one-hot). Below 1/2 means the
  twin is the row changed less than any real row of that cell differs from it.
- ``assignment_gap``: a group classifier trained on real non-sensitive columns; the
  share of twins it puts in their new group, against the share of held-out real
  rows of that group it puts there.
- ``detection``: the boosted-tree detection AUC of twins and of ordinary generated
  rows of the same cells, each against real rows of the same cell mix, so that the
  twins' shift in group shares does not give them away by itself.
"""

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from fairsynth.metrics import detection_auc
from fairsynth.metrics._detection import default_classifier

DISTANCE_ROWS = 2000
DETECTION_ROWS = 10_000


def plain_encoder(X):
    """Numbers imputed and scaled, categories (missing values included) one-hot."""
    categorical = make_column_selector(dtype_include=["category", "object", "string"])
    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                make_column_selector(dtype_include="number"),
            ),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="missing"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categorical,
            ),
        ]
    ).fit(X)


def as_objects(frame):
    """Categories as plain objects, so that the imputer can add "missing"."""
    return frame.astype(
        {
            c: object
            for c in frame.columns
            if not pd.api.types.is_numeric_dtype(frame[c])
        }
    )


def distance_ratios(X, y, twins, twin_y, attribute, seed):
    """Per twin (of a sample): distance to its source over the source's nearest real
    row of the twin's cell, in the plain encoding of the non-sensitive columns."""
    encoder = plain_encoder(as_objects(X.drop(columns=attribute)))

    def encode(frame, labels):
        return encoder.transform(as_objects(frame.drop(columns=attribute)))

    return _ratios(encode, X, y, twins, twin_y, attribute, seed)


def latent_distance_ratios(sampler, X, y, twins, twin_y, attribute, seed):
    """As :func:`distance_ratios`, between the rows' latents (``sampler.latents``)."""

    def encode(frame, labels):
        return sampler.latents(frame.reset_index(drop=True), np.asarray(labels))

    return _ratios(encode, X, y, twins, twin_y, attribute, seed)


def _ratios(encode, X, y, twins, twin_y, attribute, seed):
    """Distance ratios of a sample of twins, with ``encode(rows, labels)``."""
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(twins), min(DISTANCE_ROWS, len(twins)), replace=False)
    twins, twin_y = twins.iloc[picked], twin_y.iloc[picked]
    sources = encode(X.loc[twins.index], y.loc[twins.index])
    to_twin = np.linalg.norm(sources - encode(twins, twin_y), axis=1)
    real = encode(X, y)
    real_cells = cell_names(X, y, attribute).to_numpy()
    twin_cells = cell_names(twins, twin_y, attribute).to_numpy()
    to_real = np.empty(len(twins))
    for cell in np.unique(twin_cells):
        rows = twin_cells == cell
        nearest = NearestNeighbors(n_neighbors=1).fit(real[real_cells == cell])
        to_real[rows] = nearest.kneighbors(sources[rows])[0][:, 0]
    return to_twin / np.maximum(to_real, 1e-12)


def assignment_gap(X, twins, X_test, attribute, seed):
    """Twins put in their new group minus held-out real rows put in theirs, in points.

    Returns the gap averaged over the twins' groups (weighted by their twins), and
    each group's two shares.
    """
    features = X.drop(columns=attribute)
    model = default_classifier(features, random_state=seed)
    model.fit(features, X[attribute].astype(str))
    twin_groups = twins[attribute].astype(str)
    twin_pred = model.predict(twins.drop(columns=attribute))
    test_groups = X_test[attribute].astype(str)
    test_pred = model.predict(X_test.drop(columns=attribute))
    shares, gap = {}, 0.0
    for group, n_twins in twin_groups.value_counts().items():
        as_twin = float(np.mean(twin_pred[twin_groups.to_numpy() == group] == group))
        as_real = float(np.mean(test_pred[test_groups.to_numpy() == group] == group))
        shares[group] = {"twins": as_twin, "real": as_real}
        gap += n_twins / len(twins) * abs(as_twin - as_real)
    return 100 * gap, shares


def detection_pair(sampler, X, y, twins, twin_y, attribute, seed):
    """Detection AUC of twins and of ordinary generated rows, on one cell mix.

    Each cell gets as many rows as the fewer of its real rows and its twins have,
    scaled to ``DETECTION_ROWS`` in all; the generated rows are drawn in it.
    """
    rng = np.random.default_rng(seed)
    counts = pd.concat(
        [
            cell_names(twins, twin_y, attribute).value_counts(),
            cell_names(X, y, attribute).value_counts(),
        ],
        axis=1,
    ).min(axis=1)
    counts = (counts * min(1.0, DETECTION_ROWS / counts.sum())).astype(int)
    counts = counts[counts > 0]
    generated = [
        sampler.sample(
            int(n),
            groups={attribute: value_named(X[attribute], cell.split("|")[0])},
            y=value_named(y, cell.split("|")[1]),
        )
        for cell, n in counts.items()
    ]
    X_gen = pd.concat([part[0] for part in generated], ignore_index=True)
    y_gen = pd.concat([part[1] for part in generated], ignore_index=True)

    def drawn(frame, labels):
        frame, labels = frame.reset_index(drop=True), labels.reset_index(drop=True)
        cells = cell_names(frame, labels, attribute).to_numpy()
        picked = [
            rng.choice(np.flatnonzero(cells == cell), n, replace=False)
            for cell, n in counts.items()
        ]
        rows = np.concatenate(picked)
        return frame.iloc[rows].assign(label=labels.iloc[rows].to_numpy())

    real = drawn(X, y)
    return (
        detection_auc(real, drawn(twins, twin_y), random_state=seed),
        detection_auc(real, drawn(X_gen, y_gen), random_state=seed),
    )


def cell_names(X, y, attribute):
    """Each row's cell as ``"group|label"``, a Series in the rows' order."""
    groups = X[attribute].astype(str).to_numpy(dtype=object)
    return pd.Series(groups + "|" + np.asarray(y).astype(str).astype(object))


def value_named(column, text):
    """The value of ``column`` whose string is ``text``."""
    values = pd.unique(column.dropna())
    return next(v for v in values if str(v) == text)
