"""Bias mitigations that fairsynth is compared with, where no library ships them.

- reweighing (Kamiran & Calders, as in AIF360): sample weights per (group, label) cell;
- cell-wise SMOTE (as in Fair-SMOTE): SMOTENC grows every (group, label) cell to the
  largest one;
- cell-balanced CTGAN: a general-purpose synthesizer, fitted under a time cap, whose
  rows fill the cells up to the largest one;
- thin wrappers that give fairlearn's mitigators the ``predict``/``predict_proba``
  of a plain classifier, reading the sensitive column from X but never using it
  as a feature.
"""

import time

import numpy as np
import pandas as pd
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.preprocessing import CorrelationRemover
from fairlearn.reductions import DemographicParity, EqualizedOdds, ExponentiatedGradient
from imblearn.over_sampling import SMOTENC
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

MISSING = "missing"


def cells(groups, y):
    """The (group, label) cell of every row, as one string per row."""
    return pd.Series(groups, dtype=str).str.cat(
        pd.Series(np.asarray(y), dtype=str), sep="|"
    )


def reweighing_weights(groups, y):
    """Kamiran & Calders' weights ``P(g) P(y) / P(g, y)`` of every row.

    Under these weights the label is independent of the group, and each group and
    each label keep their total weight.
    """
    frame = pd.DataFrame({"g": np.asarray(groups), "y": np.asarray(y)})
    p_group = frame["g"].map(frame["g"].value_counts(normalize=True))
    p_label = frame["y"].map(frame["y"].value_counts(normalize=True))
    p_cell = frame.groupby(["g", "y"], observed=True)["y"].transform("size") / len(
        frame
    )
    return (p_group * p_label / p_cell).to_numpy(dtype=float)


def fill_missing(X):
    """X with the missing values of its categorical columns made a category.

    SMOTENC, CTGAN and the adversarial classifier do not take NaN.
    """
    X = X.copy()
    for column in X.select_dtypes(include="category").columns:
        if X[column].isna().any():
            X[column] = X[column].cat.add_categories(MISSING).fillna(MISSING)
    return X


def restore_missing(X, like):
    """Undo :func:`fill_missing`, giving X the dtypes of the frame ``like``."""
    X = X.copy()
    for column in like.columns:
        if isinstance(like[column].dtype, pd.CategoricalDtype):
            values = X[column].astype(object).where(X[column].ne(MISSING))
            X[column] = pd.Categorical(values, categories=like[column].cat.categories)
        else:
            X[column] = X[column].astype(like[column].dtype)
    return X


def cell_smote(X, y, sensitive, random_state, k_neighbors=5):
    """Real rows plus SMOTENC rows that grow every (group, label) cell to the largest.

    Each cell is oversampled on its own, against the largest cell, so that a tiny
    cell lowers the number of neighbours for itself only; a one-row cell is
    repeated. Within a cell the group and the label are constant, so the new rows
    keep them.
    """
    label = cells(X[sensitive].to_numpy(), y).to_numpy()
    values, counts = np.unique(label, return_counts=True)
    largest = values[counts.argmax()]
    filled = fill_missing(X).reset_index(drop=True)
    parts = [filled]
    for value, count in zip(values, counts, strict=True):
        if count < counts.max():
            rows = filled[label == value]
            parts.append(
                _smote_cell(
                    rows,
                    filled[label == largest],
                    counts.max(),
                    k_neighbors,
                    random_state,
                )
            )
    new_labels = np.concatenate(
        [
            label,
            *[
                np.full(counts.max() - c, v)
                for v, c in zip(values, counts, strict=True)
                if c < counts.max()
            ],
        ]
    )
    y_res = pd.Series([v.rsplit("|", 1)[1] for v in new_labels], name=y.name)
    X_res = pd.concat(parts, ignore_index=True)
    return restore_missing(X_res, X), y_res.astype(y.dtype)


def _smote_cell(rows, other, target, k_neighbors, random_state):
    """``target - len(rows)`` new rows interpolated within ``rows``."""
    need = target - len(rows)
    if len(rows) == 1:
        return pd.concat([rows] * need, ignore_index=True)
    smote = SMOTENC(
        categorical_features="auto",
        sampling_strategy={1: target},
        k_neighbors=min(k_neighbors, len(rows) - 1),
        random_state=random_state,
    )
    both = pd.concat([rows, other], ignore_index=True)
    side = np.r_[np.ones(len(rows), int), np.zeros(len(other), int)]
    X_res, _ = smote.fit_resample(both, side)
    # imblearn appends the new rows after the input rows.
    return pd.DataFrame(X_res).iloc[len(both) :].reset_index(drop=True)


def fit_ctgan(X, y, time_cap, random_state):
    """A CTGAN fitted on (X, y) with as many epochs as fit in ``time_cap`` seconds.

    After a warm-up fit (torch's first use is slow), fits of one and of two epochs
    give the cost of an epoch and that of the data preparation every fit repeats.
    The real fit then gets the epochs the rest of the cap allows; when that is two
    or fewer, the two-epoch fit is kept.
    Returns the model and the epochs it trained.
    """
    table = fill_missing(X).assign(**{y.name: y.to_numpy()})
    discrete = [c for c in table.columns if table[c].dtype.kind not in "iuf"]
    discrete.append(y.name)
    start = time.perf_counter()
    _ctgan_fit(table, discrete, 1, random_state)
    seconds = {}
    for epochs in (1, 2):
        fit_start = time.perf_counter()
        model = _ctgan_fit(table, discrete, epochs, random_state)
        seconds[epochs] = time.perf_counter() - fit_start
    epoch = max(seconds[2] - seconds[1], 1e-3)
    preparation = max(seconds[1] - epoch, 0.0)
    left = time_cap - (time.perf_counter() - start) - preparation
    epochs = int(left // epoch)
    if epochs <= 2:
        return model, 2
    return _ctgan_fit(table, discrete, epochs, random_state), epochs


def _ctgan_fit(table, discrete, epochs, random_state):
    # Imported here: CTGAN is optional and slow to import.
    from ctgan import CTGAN

    model = CTGAN(epochs=epochs, enable_gpu=False)
    model.set_random_state(random_state)
    model.fit(table, discrete)
    return model


def ctgan_balance(model, X, y, sensitive, max_rounds=20):
    """Real rows plus CTGAN rows that grow every (group, label) cell to the largest.

    Rows are drawn conditioned on the group, and kept when their label is the cell's
    (rejection). A cell the model cannot fill in ``max_rounds`` draws stays short;
    the shortfall is returned.
    """
    counts = pd.crosstab(X[sensitive], y)
    target = int(counts.to_numpy().max())
    parts, shortfall = [], 0
    for group in counts.index:
        for label in counts.columns:
            need = target - int(counts.loc[group, label])
            rows = _draw_cell(model, sensitive, group, y.name, label, need, max_rounds)
            shortfall += need - len(rows)
            parts.append(rows)
    generated = pd.concat(parts, ignore_index=True)
    X_new = restore_missing(generated.drop(columns=y.name), X)
    y_new = generated[y.name].astype(y.dtype)
    X_res = pd.concat([X.reset_index(drop=True), X_new], ignore_index=True)
    y_res = pd.concat([y.reset_index(drop=True), y_new], ignore_index=True)
    return X_res, y_res, shortfall


def _draw_cell(model, column, group, target, label, need, max_rounds):
    kept = []
    have = 0
    for _ in range(max_rounds):
        if have >= need:
            break
        batch = model.sample(max(2 * (need - have), 500), column, group)
        batch = batch[
            batch[column].astype(str).eq(str(group))
            & batch[target].astype(str).eq(str(label))
        ]
        kept.append(batch)
        have += len(batch)
    if not kept:
        return pd.DataFrame()
    return pd.concat(kept, ignore_index=True).head(need)


class FairlearnModel(ClassifierMixin, BaseEstimator):
    """ExponentiatedGradient or ThresholdOptimizer behind a plain classifier's API.

    ``sensitive_features`` go to the mitigator at fit time (and at predict time for
    the threshold optimizer), read from ``X[sensitive]``; the wrapped estimator drops
    that column, so it is never a feature. Predictions are randomised by the
    mitigators; ``random_state`` fixes them. ``predict_proba`` is the probability
    of the randomised prediction, which is what ROC AUC sees.
    """

    def __init__(self, mitigator, sensitive, random_state=None):
        self.mitigator = mitigator
        self.sensitive = sensitive
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the mitigator with the sensitive column as ``sensitive_features``."""
        self.mitigator.fit(X, y, sensitive_features=X[self.sensitive])
        self.classes_ = np.unique(y)
        return self

    def _extra(self, X):
        if isinstance(self.mitigator, ThresholdOptimizer):
            return {"sensitive_features": X[self.sensitive]}
        return {}

    def predict(self, X):
        """The mitigator's randomised predictions, seeded by ``random_state``."""
        return self.mitigator.predict(
            X, random_state=self.random_state, **self._extra(X)
        )

    def predict_proba(self, X):
        """The probabilities of the randomised predictions."""
        return self.mitigator._pmf_predict(X, **self._extra(X))


def exponentiated_gradient(base, constraint, sensitive, seed):
    """fairlearn's reduction around ``base`` (a pipeline that drops ``sensitive``)."""
    moment = {"dp": DemographicParity, "eo": EqualizedOdds}[constraint]()
    last = base.steps[-1][0]
    mitigator = ExponentiatedGradient(
        base, constraints=moment, sample_weight_name=f"{last}__sample_weight"
    )
    return FairlearnModel(mitigator, sensitive, random_state=seed)


def threshold_optimizer(base, sensitive, seed, *, prefit=False):
    """Group-specific thresholds on ``base``'s probabilities, for demographic parity.

    With ``prefit``, ``base`` is already fitted (on other rows) and fit only sets
    the thresholds.
    """
    mitigator = ThresholdOptimizer(
        estimator=base,
        constraints="demographic_parity",
        predict_method="predict_proba",
        prefit=prefit,
    )
    return FairlearnModel(mitigator, sensitive, random_state=seed)


def correlation_removed_model(kind, sensitive, seed):
    """A model on features from which the sensitive column's correlation is removed.

    All non-sensitive features are encoded (numbers imputed and scaled, categories
    one-hot), the one-hot sensitive column is appended, and CorrelationRemover
    projects it out of every feature and then drops it.
    """
    numeric = make_column_selector(dtype_include="number")
    categorical = make_column_selector(dtype_include=["category", "object", "string"])
    one_hot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    encode = ColumnTransformer(
        [
            ("sensitive", one_hot, [sensitive]),
            ("numeric", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
            ("categorical", one_hot, categorical),
        ],
        sparse_threshold=0,
    ).set_output(transform="pandas")
    model = (
        LogisticRegression(max_iter=2000)
        if kind == "logistic"
        else HistGradientBoostingClassifier(random_state=seed)
    )
    return make_pipeline(encode, _SensitiveRemover(), model)


class _SensitiveRemover(CorrelationRemover):
    """CorrelationRemover whose sensitive features are the encoder's ``sensitive__*``.

    The one-hot width of the sensitive column is only known once the encoder is
    fitted, so the columns are picked by name at fit time.
    """

    def fit(self, X, y=None):
        """Project the sensitive block out of the other columns."""
        self.sensitive_feature_ids = [
            name for name in X.columns if name.startswith("sensitive__")
        ]
        return super().fit(X, y)
