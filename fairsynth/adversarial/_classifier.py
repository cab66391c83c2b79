"""The scikit-learn estimator: a classifier trained against an adversary."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.metrics import roc_auc_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..gan import resolve_device, seeded
from ..metrics._validation import sensitive_keys
from . import _input
from ._modules import Adversary, AdversaryLoss, Predictor
from ._net import _INFERENCE_BATCH, AdversarialNet
from ._predictions import LogitPredictions

_NON_NEGATIVE_INT = [Interval(Integral, 0, None, closed="left")]
_POSITIVE_REAL = [Interval(Real, 0, None, closed="neither")]


class AdversarialFairClassifier(LogitPredictions, ClassifierMixin, BaseEstimator):
    """Binary classifier trained against an adversary that guesses the sensitive groups.

    A predictor network and an adversary network, each with its own optimizer, are
    trained by a skorch net (``net_``) in three phases: the predictor alone for
    ``pretrain_epochs`` epochs; the adversary alone for ``adversary_pretrain_epochs``
    epochs; then ``n_iterations`` rounds of ``adversary_steps`` adversary
    mini-batches followed by one predictor step on a single mini-batch with the
    loss ``classifier_loss - sum_k lambdas[k] * adversary_loss[k]``. The predictor
    kept is the average of its weights over the last ``average_last`` share of
    these rounds. The adversary has one softmax head per sensitive column, so a
    column may have any number of groups.

    The sensitive columns are read from X and are not model features. The other
    columns are encoded internally: numbers standardised, category, string and
    object columns one-hot encoded. X may also be a numeric array (for instance the
    output of a preprocessing step), with ``sensitive`` given as column indices.

    Parameters
    ----------
    sensitive : str, int, list or None, default=None
        Sensitive column name(s) for a DataFrame, index(es) for an array. ``None``
        trains an unconstrained network (no adversary) with the same schedule.
    lambdas : float, list of float or dict, default=10.0
        Weight of the adversary's loss: one for all sensitive columns, one per
        column, or ``{column: weight}``. Larger is fairer and less accurate.
    constraint : {"demographic_parity", "equalized_odds"}, default="demographic_parity"
        The adversary sees the predicted probability; under equalized odds it also
        sees the true label.
    group_weight : {"balanced"} or None, default=None
        Weights of the groups in the adversary's cross-entropy. ``None`` weights
        every row alike, so the predictor's penalty measures how much its output
        tells about the groups overall. ``"balanced"`` weights groups inversely to
        their size (``n / (n_groups * n_g)``): every group counts as much as the
        largest, which helps a binary column with a small minority, but with
        several small groups (Adult's five races) the penalty is dominated by
        groups of a few hundred rows and the predictor hides them by predicting
        the negative class for nearly everyone.
    hidden_layer_sizes : tuple of int, default=(32, 32, 32)
        Hidden ReLU layers of the predictor.
    adversary_layer_sizes : tuple of int, default=(32, 32, 32)
        Hidden ReLU layers of the adversary's shared trunk.
    dropout : float, default=0.2
        Dropout rate after each hidden layer of the predictor.
    pretrain_epochs : int, default=2
        Epochs of the predictor alone.
    adversary_pretrain_epochs : int, default=5
        Epochs of the adversary alone.
    n_iterations : int, default=1000
        Alternations of the adversary's mini-batches and one predictor
        mini-batch, that is the number of fair predictor steps.
    average_last : float, default=0.5
        Share of the ``n_iterations`` fair steps, at the end, over which the
        predictor's weights are averaged (Polyak averaging); 0 keeps the weights
        of the last step. The predictor and the adversary chase each other, so
        the last weights can be anywhere between too fair and not fair enough,
        and the average depends less on where training stops. On Adult, the
        p%-rules then grew steadily with ``lambdas``, where the last weights gave
        an irregular grid that is harder to tune.
    adversary_steps : int or None, default=1
        Adversary mini-batches, drawn at random, before each predictor step.
        ``None`` trains the adversary a full epoch before each step, as in
        Tonk's reference; on Adult that costs more time and, for the same fit
        time, leaves fewer predictor steps and no better accuracy at a given
        p%-rule.
    batch_size : int, default=128
        Mini-batch size of the predictor.
    adversary_batch_size : int, default=512
        Mini-batch size of the adversary.
    lr : float, default=1e-3
        Adam learning rate of the predictor.
    adversary_lr : float, default=5e-3
        Adam learning rate of the adversary.
    device : str, default="auto"
        Torch device; ``"auto"`` picks CUDA when it is available.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and batching. With an int or a
        RandomState, the global numpy and torch random states are left untouched;
        None draws the seed from numpy's global generator, as scikit-learn
        estimators do.
    verbose : int, default=0
        Print a line per training epoch when positive.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two class labels.
    groups_ : dict
        ``{column: sorted groups}`` of each sensitive column.
    lambdas_ : dict
        ``{column: weight}`` used in training.
    encoder_ : transformer
        The fitted encoder of the non-sensitive features.
    net_ : AdversarialNet
        The fitted skorch net, with ``module_`` (predictor) and ``adversary_``.
    history_ : skorch.History
        One row per unit of each phase (``phase``, ``classifier_loss``,
        ``adversary_loss``, ``fair_loss``, ``dur``).
    adversary_auc_ : dict
        ``{column: ROC AUC}`` of the adversary on the training data (macro
        one-vs-rest for more than two groups); 0.5 means it learned nothing.
    p_percent_rule_ : dict
        ``{column: p%-rule}`` of the predictions on the training data.
    n_features_in_ : int
        Number of columns of X, sensitive ones included.
    feature_names_in_ : ndarray of str
        Column names of X, when X is a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from fairsynth.adversarial import AdversarialFairClassifier
    >>> rng = np.random.RandomState(0)
    >>> group = rng.choice(["a", "b"], 200)
    >>> X = pd.DataFrame({"x": rng.normal(size=200), "group": group})
    >>> y = (X["x"] + (X["group"] == "a") > 0.5).astype(int)
    >>> clf = AdversarialFairClassifier(
    ...     sensitive="group", n_iterations=5, random_state=0
    ... ).fit(X, y)
    >>> clf.predict(X).shape, sorted(clf.p_percent_rule_)
    ((200,), ['group'])
    """

    _parameter_constraints = {
        "sensitive": [None, str, Integral, list, tuple],
        "lambdas": [Interval(Real, 0, None, closed="left"), "array-like", dict],
        "constraint": [StrOptions({"demographic_parity", "equalized_odds"})],
        "group_weight": [StrOptions({"balanced"}), None],
        "hidden_layer_sizes": ["array-like"],
        "adversary_layer_sizes": ["array-like"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "pretrain_epochs": _NON_NEGATIVE_INT,
        "adversary_pretrain_epochs": _NON_NEGATIVE_INT,
        "n_iterations": _NON_NEGATIVE_INT,
        "average_last": [Interval(Real, 0, 1, closed="both")],
        "adversary_steps": [Interval(Integral, 1, None, closed="left"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "adversary_batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": _POSITIVE_REAL,
        "adversary_lr": _POSITIVE_REAL,
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        sensitive=None,
        lambdas=10.0,
        constraint="demographic_parity",
        group_weight=None,
        hidden_layer_sizes=(32, 32, 32),
        adversary_layer_sizes=(32, 32, 32),
        dropout=0.2,
        pretrain_epochs=2,
        adversary_pretrain_epochs=5,
        n_iterations=1000,
        average_last=0.5,
        adversary_steps=1,
        batch_size=128,
        adversary_batch_size=512,
        lr=1e-3,
        adversary_lr=5e-3,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.sensitive = sensitive
        self.lambdas = lambdas
        self.constraint = constraint
        self.group_weight = group_weight
        self.hidden_layer_sizes = hidden_layer_sizes
        self.adversary_layer_sizes = adversary_layer_sizes
        self.dropout = dropout
        self.pretrain_epochs = pretrain_epochs
        self.adversary_pretrain_epochs = adversary_pretrain_epochs
        self.n_iterations = n_iterations
        self.average_last = average_last
        self.adversary_steps = adversary_steps
        self.batch_size = batch_size
        self.adversary_batch_size = adversary_batch_size
        self.lr = lr
        self.adversary_lr = adversary_lr
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the predictor against the adversary.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            Features, sensitive columns included. No missing values.
        y : array-like of shape (n_samples,)
            Binary target.

        Returns
        -------
        self : AdversarialFairClassifier
            The fitted estimator.
        """
        X, y = self._validate_X_y(X, y)
        keys = sensitive_keys(self.sensitive)
        features, sensitive = _input.split_sensitive(X, keys)
        self.lambdas_ = _input.resolve_lambdas(self.lambdas, keys)
        codes = self._encode_sensitive(keys, sensitive, len(y))
        features = _input.check_features(features)
        self.encoder_ = _input.make_encoder(features).fit(features)
        X_enc = self._encode(features)
        target = np.column_stack([y, codes])
        self.net_ = self._make_net(X_enc.shape[1], target[:, 1:])
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        with seeded(seed, self.net_.device):
            self.net_.fit(X_enc, target.astype(np.int64))
        self.history_ = self.net_.history
        self._set_diagnostics(X_enc, target)
        return self

    def _validate_X_y(self, X, y):
        is_frame = isinstance(X, pd.DataFrame)
        X, y = validate_data(
            self,
            X,
            y,
            skip_check_array=is_frame,
            dtype=None,
            ensure_all_finite=False,
        )
        if is_frame:
            y = column_or_1d(np.asarray(y), warn=True)
            if len(y) != len(X):
                raise ValueError(
                    f"X has {len(X)} rows but y has {len(y)}; they must match."
                )
        check_classification_targets(y)
        y_type = type_of_target(y)
        self.classes_, y = np.unique(y, return_inverse=True)
        if len(self.classes_) == 1:
            raise ValueError(_input.ONE_CLASS.format(cls=self.classes_[0]))
        if len(self.classes_) > 2:
            raise ValueError(_input.NOT_BINARY.format(y_type=y_type))
        return X, y.ravel()

    def _encode_sensitive(self, keys, sensitive, n_samples):
        # One column of group codes per sensitive column, (n_samples, 0) if none.
        self.groups_, codes = {}, []
        for key, values in zip(keys, sensitive, strict=True):
            self.groups_[key], column_codes = _input.encode_groups(values, key)
            codes.append(column_codes)
        return np.column_stack(codes) if codes else np.empty((n_samples, 0))

    def _make_net(self, n_features, codes):
        keys = list(self.groups_)
        kwargs = {
            "module__n_features": n_features,
            "module__hidden_layer_sizes": tuple(self.hidden_layer_sizes),
            "module__dropout": self.dropout,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "iterator_valid__batch_size": _INFERENCE_BATCH,
            "device": resolve_device(self.device),
            "verbose": self.verbose,
            "pretrain_epochs": self.pretrain_epochs,
            "adversary_pretrain_epochs": self.adversary_pretrain_epochs,
            "n_iterations": self.n_iterations,
            "average_last": self.average_last,
            "adversary_steps": self.adversary_steps,
            "adversary_batch_size": self.adversary_batch_size,
        }
        if keys:
            n_groups = [len(self.groups_[key]) for key in keys]
            kwargs.update(
                adversary=Adversary,
                adversary__n_inputs=1 + (self.constraint == "equalized_odds"),
                adversary__n_groups=n_groups,
                adversary__layer_sizes=tuple(self.adversary_layer_sizes),
                criterion_adversary=AdversaryLoss,
                criterion_adversary__group_weights=[
                    self._group_weights(codes[:, k], n) for k, n in enumerate(n_groups)
                ],
                optimizer_adversary__lr=self.adversary_lr,
                constraint=self.constraint,
                lambdas=[self.lambdas_[key] for key in keys],
            )
        return AdversarialNet(Predictor, **kwargs)

    def _group_weights(self, codes, n_groups):
        if self.group_weight == "balanced":
            return _input.group_weights(codes, n_groups)
        return np.ones(n_groups)

    def _encode(self, features):
        return np.asarray(self.encoder_.transform(features), dtype=np.float32)

    def _set_diagnostics(self, X_enc, target):
        from fairsynth.metrics import p_percent_rule

        y_pred = self.net_.predict_proba_tensor(_to_tensor(X_enc, self.net_)) > 0.5
        y_pred = y_pred.long().cpu().numpy()
        self.p_percent_rule_, self.adversary_auc_ = {}, {}
        if not self.groups_:
            return
        groups_proba = self.net_.predict_groups_proba(X_enc, target)
        for k, (key, groups) in enumerate(self.groups_.items()):
            codes = target[:, k + 1]
            self.p_percent_rule_[key] = float(
                p_percent_rule(target[:, 0], y_pred, sensitive_features=groups[codes])
            )
            self.adversary_auc_[key] = _group_auc(codes, groups_proba[k])

    def _transform(self, X):
        check_is_fitted(self)
        is_frame = isinstance(X, pd.DataFrame)
        X = validate_data(
            self,
            X,
            reset=False,
            skip_check_array=is_frame,
            dtype=None,
            ensure_all_finite=False,
        )
        features, _ = _input.split_sensitive(X, list(self.groups_))
        return self._encode(_input.check_features(features))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags


def _to_tensor(array, net):
    return torch.as_tensor(array, device=net.device)


def _group_auc(codes, proba):
    if proba.shape[1] == 2:
        return float(roc_auc_score(codes, proba[:, 1]))
    return float(
        roc_auc_score(codes, proba, multi_class="ovr", labels=np.arange(proba.shape[1]))
    )
