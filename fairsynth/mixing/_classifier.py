"""DrFairnessClassifier: a network trained on batches of real and generated rows."""

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..adversarial import _input
from ..adversarial._modules import Predictor
from ..adversarial._predictions import LogitPredictions
from ..gan import resolve_device, seeded
from ..metrics._validation import sensitive_keys
from . import _data, _generated
from ._net import HYPERGRADIENT_SAMPLES, MODES, MixingNet
from ._objective import FAIRNESS
from ._ratios import MixingRatios

_INFERENCE_BATCH = 8192
# Fewest generated rows a sampler makes for a cell under n_generated="auto".
_MIN_GENERATED = 50
_POSITIVE_INT = [Interval(Integral, 1, None, closed="left")]
_POSITIVE_REAL = [Interval(Real, 0, None, closed="neither")]


class DrFairnessClassifier(LogitPredictions, ClassifierMixin, BaseEstimator):
    """Binary classifier trained on batches that mix real and generated rows.

    Every batch holds, for each ``(label y, group z)`` cell, ``λ_yz μ_yz S_y``
    real rows and ``λ_yz (1 - μ_yz) S_y`` generated ones, with
    ``S_y = batch_size n_y / n``: ``λ`` shares a label's rows among groups, ``μ``
    is the share of real rows. With ``mode="drfairness"`` both move after every
    step by a hypergradient of an outer objective measured on validation rows,
    the largest loss gap between groups within a label plus ``k`` times the
    cell-weighted loss, so that a cell whose generated rows hurt relies on its
    real rows (Roh et al., Dr-Fairness, TMLR 2023). See the user guide's page on
    mixing.

    The sensitive columns are read from ``X`` and are not features; the other
    columns are encoded by ``preprocessor`` (numbers standardised and
    categories one-hot by default), fitted on the real rows.

    Parameters
    ----------
    sensitive : str, int or list
        Sensitive column name(s) (indices for NumPy input); several columns form
        intersectional groups.
    generator : FairGANSampler, tuple or None, default=None
        Where generated rows come from: a :class:`~fairsynth.FairGANSampler`
        (an unfitted one is cloned and fitted on the real rows; a fitted one is
        used as it is), or a tuple ``(X_generated, y_generated)`` with the
        columns of ``X``, whose sensitive columns and labels give the cells.
        Needed by ``mode="drfairness"``; ``"fairbatch"`` ignores it, and
        ``"fixed"`` without one trains on real rows in the initial ``λ``.
    mode : {"drfairness", "fairbatch", "fixed"}, default="drfairness"
        ``"drfairness"`` learns ``λ`` and ``μ`` after every batch;
        ``"fairbatch"`` trains on real rows only and, at the start of every
        epoch, moves ``λ`` by ``fairbatch_alpha`` toward the worse-off group
        (Roh et al., FairBatch, ICLR 2021); ``"fixed"`` keeps the initial
        ratios, for ablations.
    fairness : {"equalized_odds", "equal_opportunity", "demographic_parity"}, \
            default="equalized_odds"
        The loss gap the ratios close.
    n_generated : int or "auto", default="auto"
        Rows a sampler generates per cell; ``"auto"`` is the cell's real rows,
        at least 50. Ignored for a table.
    lambda_init : {"data", "parity"}, default="data"
        Initial ``λ``: the cells' shares of their label, or each group's share of
        all rows (the label independent of the group).
    mu_init : float, default=0.5
        Initial share of real rows in every cell, in (0, 1].
    k : float, default=20.0
        Weight of the cell-weighted loss against the gap in the outer objective.
    ratio_lr : float, default=0.005
        Adam learning rate of the ratio logits (``"drfairness"``).
    hypergradient_sample : {"batch", "all"}, default="batch"
        Rows the hypergradient is measured on at every update
        (``"drfairness"``). ``"batch"`` draws about ``batch_size / 2``
        validation rows spread over the cells, and as many training rows
        spread over the real and generated pools: cheap, but each update is
        then mostly noise, so the ratios move slowly. ``"all"`` uses every
        validation row and every training row: the exact hypergradient of
        the paper's approximation, at the cost of a forward pass over the
        whole training set per batch (see the user guide's page on mixing).
    fairbatch_alpha : float, default=0.005
        Step on ``λ`` per epoch (``"fairbatch"``): ``λ`` moves by at most
        ``max_epochs * fairbatch_alpha`` in all.
    module : callable or None, default=None
        ``module(n_features)`` returns a torch module giving one logit per row,
        whose last ``torch.nn.Linear`` is its output layer. None is an MLP of
        ``hidden_layer_sizes`` with ``dropout``.
    hidden_layer_sizes : tuple of int, default=(32, 32, 32)
        Hidden ReLU layers of the default MLP.
    dropout : float, default=0.2
        Dropout after each hidden layer of the default MLP.
    preprocessor : transformer or None, default=None
        Encoder of the non-sensitive columns, cloned and fitted on the real rows.
    max_epochs : int, default=10
        Epochs; an epoch draws as many rows as there are real training rows.
    batch_size : int, default=128
        Rows per batch (about; counts are rounded per cell).
    lr : float, default=1e-3
        Adam learning rate of the network.
    validation_fraction : float, default=0.1
        Share of every cell's real and generated rows held out to measure the
        outer objective (the fairness gap is measured on real rows; generated
        ones fill cells with too few).
    device : str, default="auto"
        Torch device; ``"auto"`` picks CUDA when it is available.
    random_state : int, RandomState instance or None, default=None
        Seeds the split, the sampler (if it has no seed), initialisation and
        batches; the global numpy and torch states are left untouched.
    verbose : int, default=0
        A progress bar and a line per epoch when positive.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The class labels.
    groups_ : list
        The groups: values, or tuples of values with several sensitive columns.
    lambda_, mu_ : DataFrame
        Final ``λ`` and ``μ``, one row per group, one column per class.
    ratio_history_ : DataFrame
        ``λ`` and ``μ`` of every cell after each epoch (epoch 0: before training).
    cell_counts_ : DataFrame
        Real and generated training rows per cell.
    encoder_ : transformer
        The fitted encoder of the non-sensitive columns.
    net_ : MixingNet
        The fitted skorch net; ``net_.ratios`` holds the ratios.
    history_ : skorch.History
        Per epoch: ``train_loss``, ``fair_gap`` (validation gap: the mean over
        the epoch's batches, or for ``"fairbatch"`` the gap on every validation
        row at the epoch's start), ``lambda``, ``mu``, ``dur``.
    n_features_in_, feature_names_in_
        As in scikit-learn.

    Examples
    --------
    >>> from fairsynth import DrFairnessClassifier
    >>> from fairsynth.datasets import make_biased_classification
    >>> X, y = make_biased_classification(300, random_state=0)
    >>> clf = DrFairnessClassifier(
    ...     sensitive="group", mode="fairbatch", max_epochs=2, random_state=0
    ... ).fit(X, y)
    >>> clf.predict(X).shape, clf.lambda_.shape
    ((300,), (2, 2))
    """

    _parameter_constraints = {
        "sensitive": [str, Integral, list, tuple, None],
        "generator": [HasMethods(["fit", "sample"]), tuple, None],
        "mode": [StrOptions(set(MODES))],
        "fairness": [StrOptions(set(FAIRNESS))],
        "n_generated": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "lambda_init": [StrOptions({"data", "parity"})],
        "mu_init": [Interval(Real, 0, 1, closed="right")],
        "k": [Interval(Real, 0, None, closed="left")],
        "ratio_lr": _POSITIVE_REAL,
        "hypergradient_sample": [StrOptions(set(HYPERGRADIENT_SAMPLES))],
        "fairbatch_alpha": _POSITIVE_REAL,
        "module": [callable, None],
        "hidden_layer_sizes": ["array-like"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "preprocessor": [HasMethods(["fit", "transform"]), None],
        "max_epochs": _POSITIVE_INT,
        "batch_size": _POSITIVE_INT,
        "lr": _POSITIVE_REAL,
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        sensitive=None,
        generator=None,
        mode="drfairness",
        fairness="equalized_odds",
        n_generated="auto",
        lambda_init="data",
        mu_init=0.5,
        k=20.0,
        ratio_lr=0.005,
        hypergradient_sample="batch",
        fairbatch_alpha=0.005,
        module=None,
        hidden_layer_sizes=(32, 32, 32),
        dropout=0.2,
        preprocessor=None,
        max_epochs=10,
        batch_size=128,
        lr=1e-3,
        validation_fraction=0.1,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.sensitive = sensitive
        self.generator = generator
        self.mode = mode
        self.fairness = fairness
        self.n_generated = n_generated
        self.lambda_init = lambda_init
        self.mu_init = mu_init
        self.k = k
        self.ratio_lr = ratio_lr
        self.hypergradient_sample = hypergradient_sample
        self.fairbatch_alpha = fairbatch_alpha
        self.module = module
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.preprocessor = preprocessor
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network on mixed batches, updating the ratios after each.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_columns)
            Real rows, sensitive columns included. No missing values.
        y : array-like of shape (n_samples,)
            Binary target.

        Returns
        -------
        self : DrFairnessClassifier
            The fitted estimator.
        """
        X, y_raw, y = self._validate_X_y(X, y)
        rng = check_random_state(self.random_state)
        keys = sensitive_keys(self.sensitive)
        if not keys:
            raise ValueError(_data.NO_SENSITIVE)
        features, groups = self._read_groups(X, keys)
        counts = self._count_cells(y, groups)
        self._sensitive_keys = keys
        generated = self._generated_rows(X, y_raw, keys, counts, rng)
        self.encoder_ = self._make_encoder(features).fit(features)
        data = self._training_data(features, y, groups, generated, rng)
        ratios = self._make_ratios(counts, data)
        _data.check_batch_size(self.batch_size, ratios)
        self.net_ = self._make_net(data, ratios)
        seed = rng.randint(np.iinfo(np.int32).max)
        with seeded(seed, self.net_.device):
            self.net_.fit(data["X"], data["y"])
        self._set_diagnostics(data)
        return self

    def _validate_X_y(self, X, y):
        is_frame = isinstance(X, pd.DataFrame)
        X, y = validate_data(
            self, X, y, skip_check_array=is_frame, dtype=None, ensure_all_finite=False
        )
        y = column_or_1d(np.asarray(y), warn=True)
        if is_frame and len(y) != len(X):
            raise ValueError(
                f"X has {len(X)} rows but y has {len(y)}; they must match."
            )
        y_type = type_of_target(y)
        if y_type.startswith("continuous"):
            raise ValueError(_data.CONTINUOUS.format(y_type=y_type))
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) == 1:
            raise ValueError(
                _input.ONE_CLASS.format(cls=self.classes_[0]).replace(
                    "AdversarialFairClassifier", "DrFairnessClassifier"
                )
            )
        if len(self.classes_) > 2:
            raise ValueError(
                _input.NOT_BINARY.format(y_type=y_type).replace(
                    "AdversarialFairClassifier", "DrFairnessClassifier"
                )
            )
        return X, y, codes.ravel()

    def _read_groups(self, X, keys):
        features, columns = _input.split_sensitive(X, keys)
        for key, values in zip(keys, columns, strict=True):
            _input.encode_groups(values, key, who="DrFairnessClassifier")
        self.groups_, groups = _data.group_ids(columns)
        return _input.check_features(features), groups

    def _count_cells(self, y, groups):
        counts = np.zeros((len(self.classes_), len(self.groups_)), dtype=np.int64)
        np.add.at(counts, (y, groups), 1)
        _data.check_cells(counts, self._describe)
        return counts

    def _describe(self, label, group):
        return (self.groups_[group], self.classes_[label].item())

    def _generated_rows(self, X, y_raw, keys, counts, rng):
        """Return generated features, label codes and group ids (None for FairBatch)."""
        if self.mode == "fairbatch" or (
            self.mode == "fixed" and self.generator is None
        ):
            return None
        if self.generator is None:
            raise ValueError(_generated.NO_GENERATOR)
        X_gen, y_gen = _generated.generated_rows(
            self.generator,
            X,
            y_raw,
            keys,
            self._rows_per_cell(counts),
            rng.randint(np.iinfo(np.int32).max),
        )
        features, labels, groups = _generated.code_cells(
            X_gen, y_gen, keys, self.groups_, self.classes_
        )
        cover = np.zeros(counts.shape, dtype=bool)
        cover[labels, groups] = True
        _generated.check_cover(counts > 0, cover, self._describe)
        return _input.check_features(features), labels, groups

    def _rows_per_cell(self, counts):
        def n_rows(group, label):
            if self.n_generated != "auto":
                return self.n_generated
            group_id = self.groups_.index(group if len(group) > 1 else group[0])
            label_id = int(np.flatnonzero(self.classes_ == label)[0])
            return max(int(counts[label_id, group_id]), _MIN_GENERATED)

        return n_rows

    def _make_encoder(self, features):
        if self.preprocessor is not None:
            return clone(self.preprocessor)
        return _input.make_encoder(features)

    def _encode(self, features):
        return np.asarray(self.encoder_.transform(features), dtype=np.float32)

    def _training_data(self, features, y, groups, generated, rng):
        """Return encoded rows, net targets and validation rows, real and generated."""
        parts = [(self._encode(features), y, groups, np.ones(len(y), dtype=bool))]
        if generated is not None:
            gen_features, gen_labels, gen_groups = generated
            parts.append(
                (
                    self._encode(gen_features),
                    gen_labels,
                    gen_groups,
                    np.zeros(len(gen_labels), dtype=bool),
                )
            )
        X_all = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        cells = labels * len(self.groups_) + np.concatenate([p[2] for p in parts])
        real = np.concatenate([p[3] for p in parts])
        valid = _data.valid_mask(2 * cells + ~real, self.validation_fraction, rng)
        target = _data.targets(labels, cells, real)
        # Generated rows validate only cells with too few real ones; the others
        # train.
        valid = valid & (real | self._thin_cells(cells, real, valid))
        return {
            "X": X_all[~valid],
            "y": target[~valid],
            "valid_X": X_all[valid],
            "valid_y": target[valid],
        }

    def _valid_rows_per_cell(self):
        n_cells = len(self.classes_) * len(self.groups_)
        # Half a batch of validation rows: enough for the cell losses, and the
        # update stays cheaper than the step (see the benchmark's epoch cost).
        return max(4, math.ceil(self.batch_size / (2 * n_cells)))

    def _thin_cells(self, cells, real, valid):
        """Rows of cells whose real validation rows are too few to measure alone."""
        n_cells = len(self.classes_) * len(self.groups_)
        real_valid = np.bincount(cells[valid & real], minlength=n_cells)
        return (real_valid < self._valid_rows_per_cell())[cells]

    def _make_ratios(self, counts, data):
        has_generated = np.zeros(counts.shape, dtype=bool)
        train = data["y"]
        gen_cells = train[train[:, 2] == 0, 1]
        has_generated.ravel()[np.unique(gen_cells)] = True
        return MixingRatios(
            counts,
            has_generated=has_generated if self.mode != "fairbatch" else None,
            lambda_init=self.lambda_init,
            mu_init=self.mu_init,
            lr=self.ratio_lr,
        )

    def _make_net(self, data, ratios):
        n_features = data["X"].shape[1]
        if self.module is None:
            module = Predictor
            kwargs = {
                "module__n_features": n_features,
                "module__hidden_layer_sizes": tuple(self.hidden_layer_sizes),
                "module__dropout": self.dropout,
            }
        else:
            module, kwargs = self.module(n_features), {}
        return MixingNet(
            module,
            ratios=ratios,
            mode=self.mode,
            fairness=self.fairness,
            k=self.k,
            fairbatch_alpha=self.fairbatch_alpha,
            valid_X=data["valid_X"],
            valid_y=data["valid_y"],
            valid_rows_per_cell=self._valid_rows_per_cell(),
            hypergradient_sample=self.hypergradient_sample,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            iterator_valid__batch_size=_INFERENCE_BATCH,
            device=resolve_device(self.device),
            verbose=self.verbose,
            **kwargs,
        )

    def _set_diagnostics(self, data):
        self.history_ = self.net_.history
        index = pd.Index(self.groups_, name="group", tupleize_cols=False)
        columns = pd.Index(self.classes_, name="class")
        snapshot = self.net_.ratios.snapshot()
        self.lambda_ = pd.DataFrame(np.asarray(snapshot["lambda"]).T, index, columns)
        self.mu_ = pd.DataFrame(np.asarray(snapshot["mu"]).T, index, columns)
        epochs = [self.net_.initial_ratios_, *self.net_.history[:, ("lambda", "mu")]]
        self.ratio_history_ = _data.ratio_history(epochs, self.groups_, self.classes_)
        self.cell_counts_ = _data.cell_table(
            np.concatenate([data["y"], data["valid_y"]]), self.groups_, self.classes_
        )

    def _transform(self, X):
        # A fit that failed part way leaves attributes, but no net.
        check_is_fitted(self, "net_")
        is_frame = isinstance(X, pd.DataFrame)
        X = validate_data(
            self, X, reset=False, skip_check_array=is_frame, dtype=None,
            ensure_all_finite=False,
        )  # fmt: skip
        features, _ = _input.split_sensitive(X, self._sensitive_keys)
        return self._encode(_input.check_features(features))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.string = True
        tags.non_deterministic = self.random_state is None
        return tags
