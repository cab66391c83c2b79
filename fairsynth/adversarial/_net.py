"""The skorch net that trains the predictor against the adversary."""

import torch
from skorch import NeuralNet
from skorch.callbacks import EpochTimer, PrintLog
from torch import nn
from torch.optim.swa_utils import AveragedModel

_INFERENCE_BATCH = 8192


class AdversarialNet(NeuralNet):
    """Train a predictor and an adversary in three phases.

    1. ``pretrain_epochs`` epochs of the predictor alone;
    2. ``adversary_pretrain_epochs`` epochs of the adversary on the frozen predictor;
    3. ``n_iterations`` alternations of ``adversary_steps`` adversary mini-batches
       (a full epoch when ``None``) and one predictor step on a single
       mini-batch, with the loss
       ``classifier_loss - sum_k lambdas[k] * adversary_loss[k]``. The predictor
       kept at the end is the average of its weights over the last
       ``average_last`` share of these steps.

    The predictor is ``module_`` with ``optimizer_``; the adversary is
    ``adversary_`` with ``optimizer_adversary_`` and ``criterion_adversary_``. With
    ``adversary=None`` phases 2 and 3 train the predictor alone, which gives an
    unconstrained network with the same number of predictor updates.

    ``X`` is a float32 array; ``y`` an int64 array whose first column is the label
    and whose other columns are the group codes of the sensitive attributes.
    Batches are drawn from torch's global generator: the caller seeds it (and
    restores it) around ``fit``.

    Parameters
    ----------
    module : type of torch.nn.Module
        The predictor, returning one logit per row.
    adversary : type of torch.nn.Module or None
        The adversary, returning a tuple of group logits per attribute.
    criterion_adversary : type of torch.nn.Module
        Returns one loss per attribute from the adversary's output.
    optimizer_adversary : type of torch.optim.Optimizer
        Optimizer of the adversary.
    constraint : {"demographic_parity", "equalized_odds"}
        Whether the adversary sees the prediction only, or also the true label.
    lambdas : sequence of float
        Weight of each attribute's adversary loss in the predictor's loss.
    pretrain_epochs, adversary_pretrain_epochs, n_iterations : int
        Length of the three phases.
    average_last : float
        Share of phase 3, at its end, over which the predictor's weights are
        averaged; 0 keeps the weights of the last step.
    adversary_steps : int or None
        Adversary mini-batches, drawn at random, before each predictor step of
        phase 3; ``None`` trains the adversary a full epoch instead.
    adversary_batch_size : int
        Mini-batch size of the adversary's epochs (``batch_size`` is the
        predictor's).
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(
        self,
        module,
        *,
        adversary=None,
        criterion_adversary=None,
        optimizer_adversary=torch.optim.Adam,
        constraint="demographic_parity",
        lambdas=(),
        pretrain_epochs=2,
        adversary_pretrain_epochs=5,
        n_iterations=1000,
        average_last=0.5,
        adversary_steps=1,
        adversary_batch_size=512,
        **kwargs,
    ):
        self.adversary = adversary
        self.criterion_adversary = criterion_adversary
        self.optimizer_adversary = optimizer_adversary
        self.constraint = constraint
        self.lambdas = lambdas
        self.pretrain_epochs = pretrain_epochs
        self.adversary_pretrain_epochs = adversary_pretrain_epochs
        self.n_iterations = n_iterations
        self.average_last = average_last
        self.adversary_steps = adversary_steps
        self.adversary_batch_size = adversary_batch_size
        kwargs.setdefault("criterion", nn.BCEWithLogitsLoss)
        kwargs.setdefault("optimizer", torch.optim.Adam)
        kwargs.setdefault("train_split", None)
        super().__init__(module, **kwargs)

    @property
    def _default_callbacks(self):
        # One history row per phase unit; the loss-scoring callbacks of skorch
        # expect batch records that this loop does not write. PrintLog formats a
        # table row per unit even when it prints nothing, which costs a tenth of
        # the fit with a thousand short units, so it is only added when verbose.
        callbacks = [("epoch_timer", EpochTimer())]
        if self.verbose:
            callbacks.append(("print_log", PrintLog()))
        return callbacks

    @property
    def has_adversary(self):
        """Whether an adversary is trained (False for an unconstrained network)."""
        return self.adversary is not None

    def initialize_module(self):
        """Initialize the predictor ``module_`` and the adversary ``adversary_``."""
        super().initialize_module()
        if self.has_adversary:
            params = self.get_params_for("adversary")
            self.adversary_ = self.initialized_instance(self.adversary, params)
        return self

    def initialize_criterion(self):
        """Initialize ``criterion_`` and the adversary's ``criterion_adversary_``."""
        super().initialize_criterion()
        if self.has_adversary:
            params = self.get_params_for("criterion_adversary")
            self.criterion_adversary_ = self.initialized_instance(
                self.criterion_adversary, params
            )
        return self

    def initialize_optimizer(self, triggered_directly=None):
        """Give the predictor and the adversary an optimizer each."""
        args, kwargs = self.get_params_for_optimizer(
            "optimizer", self.module_.named_parameters()
        )
        self.optimizer_ = self.optimizer(*args, **kwargs)
        if self.has_adversary:
            args, kwargs = self.get_params_for_optimizer(
                "optimizer_adversary", self.adversary_.named_parameters()
            )
            self.optimizer_adversary_ = self.optimizer_adversary(*args, **kwargs)
        return self

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """Run the three training phases; ``epochs`` is ignored."""
        self.check_data(X, y)
        X = torch.as_tensor(X, device=self.device)
        y = torch.as_tensor(y, device=self.device)
        for _ in range(self.pretrain_epochs):
            self._run_phase("classifier_pretrain", self._classifier_epoch, X, y)
        if self.has_adversary:
            for _ in range(self.adversary_pretrain_epochs):
                self._run_phase("adversary_pretrain", self._adversary_epoch, X, y)
        n_averaged = round(self.n_iterations * self.average_last)
        averaged = AveragedModel(self.module_) if n_averaged else None
        for i in range(self.n_iterations):
            self._run_phase("alternate", self._alternate, X, y)
            if i >= self.n_iterations - n_averaged:
                averaged.update_parameters(self.module_)
        if averaged is not None:
            # The predictor and the adversary chase each other, so the last
            # weights land anywhere between too fair and not fair enough; their
            # average depends less on where training stops.
            self.module_.load_state_dict(averaged.module.state_dict())
        self._losses_to_floats()
        return self

    def _run_phase(self, name, run, X, y):
        # Each unit of a phase is one skorch "epoch", so callbacks and the
        # history see every unit.
        self.notify("on_epoch_begin", dataset_train=None, dataset_valid=None)
        self.history.record("phase", name)
        for key, value in run(X, y).items():
            # Losses stay on the device, so that a GPU never waits for the host
            # between steps; the printed log needs them at once.
            self.history.record(key, float(value) if self.verbose else value)
        self.notify("on_epoch_end", dataset_train=None, dataset_valid=None)

    def _losses_to_floats(self):
        """Turn the losses the history holds on the device into floats, in one sync."""
        kept = [
            (row, key)
            for row in self.history
            for key in row
            if torch.is_tensor(row[key])
        ]
        if kept:
            values = torch.stack([row[key] for row, key in kept]).tolist()
            for (row, key), value in zip(kept, values, strict=True):
                row[key] = value

    def _batches(self, n_samples, batch_size):
        order = torch.randperm(n_samples).to(self.device)
        return order.split(batch_size)

    def _sample(self, n_samples, size):
        # Rows drawn with replacement: a permutation of all rows per step would
        # cost more than the step itself.
        return torch.randint(n_samples, (size,)).to(self.device)

    def _classifier_epoch(self, X, y):
        batches = self._batches(len(X), self.batch_size)
        losses = [self.train_step_classifier(X[i], y[i]) for i in batches]
        return {"classifier_loss": torch.stack(losses).mean()}

    def _adversary_epoch(self, X, y):
        inputs = self.adversary_input(self.predict_proba_tensor(X), y)
        groups = y[:, 1:]
        losses = [
            self.train_step_adversary(inputs[i], groups[i])
            for i in self._batches(len(X), self.adversary_batch_size)
        ]
        return {"adversary_loss": torch.stack(losses).mean()}

    def _alternate(self, X, y):
        record = {}
        if self.has_adversary:
            record = self._adversary_epoch(*self._adversary_rows(X, y))
        batch = self._sample(len(X), self.batch_size)
        step = self.train_step((X[batch], y[batch]))
        record["classifier_loss"] = step["classifier_loss"]
        record["fair_loss"] = step["loss"]
        return record

    def _adversary_rows(self, X, y):
        # A few random mini-batches let the adversary keep up with the predictor
        # at a fraction of the cost of a full epoch per predictor step.
        if self.adversary_steps is None:
            return X, y
        rows = self._sample(len(X), self.adversary_steps * self.adversary_batch_size)
        return X[rows], y[rows]

    def adversary_input(self, proba, y):
        """Build the adversary's input from the predicted probability.

        Parameters
        ----------
        proba : torch.Tensor of shape (n_samples,)
            Predicted probability of the positive class.
        y : torch.Tensor of shape (n_samples, 1 + n_attributes)
            Labels and group codes.

        Returns
        -------
        torch.Tensor of shape (n_samples, 1) or (n_samples, 2)
            The probability, and the true label under equalized odds.
        """
        columns = [proba]
        if self.constraint == "equalized_odds":
            columns.append(y[:, 0].to(proba.dtype))
        return torch.stack(columns, dim=1)

    def train_step_classifier(self, X, y):
        """Take one predictor step on the classification loss alone."""
        self.module_.train()
        self.optimizer_.zero_grad()
        loss = self.criterion_(self.module_(X), y[:, 0].float())
        loss.backward()
        self.optimizer_.step()
        return loss.detach()

    def train_step_adversary(self, inputs, groups):
        """Take one adversary step; return the summed loss over attributes."""
        self.adversary_.train()
        self.optimizer_adversary_.zero_grad()
        loss = sum(self.criterion_adversary_(self.adversary_(inputs), groups))
        loss.backward()
        self.optimizer_adversary_.step()
        return loss.detach()

    def train_step(self, batch, **fit_params):
        """Take one predictor step against the adversary.

        The predictor lowers its own loss and raises the adversary's, weighted by
        ``lambdas``. Only ``optimizer_`` steps; the gradients that reach the
        adversary are cleared before its next step.
        """
        X, y = batch
        self.module_.train()
        self.optimizer_.zero_grad()
        logits = self.module_(X)
        classifier_loss = self.criterion_(logits, y[:, 0].float())
        loss = classifier_loss - self._fairness_penalty(logits, y)
        loss.backward()
        self.optimizer_.step()
        return {
            "loss": loss.detach(),
            "y_pred": logits.detach(),
            "classifier_loss": classifier_loss.detach(),
        }

    def _fairness_penalty(self, logits, y):
        if not self.has_adversary:
            return torch.zeros((), device=logits.device)
        inputs = self.adversary_input(torch.sigmoid(logits), y)
        losses = self.criterion_adversary_(self.adversary_(inputs), y[:, 1:])
        return sum(lam * loss for lam, loss in zip(self.lambdas, losses, strict=True))

    @torch.no_grad()
    def predict_proba_tensor(self, X):
        """Return the predicted probability of the positive class (eval mode)."""
        self.module_.eval()
        chunks = [torch.sigmoid(self.module_(x)) for x in X.split(_INFERENCE_BATCH)]
        return torch.cat(chunks)

    @torch.no_grad()
    def predict_groups_proba(self, X, y):
        """Return the adversary's group probabilities, one array per attribute.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Encoded features.
        y : array-like of shape (n_samples, 1 + n_attributes)
            Labels and group codes (the label is used under equalized odds).

        Returns
        -------
        list of ndarray of shape (n_samples, n_groups)
        """
        X = torch.as_tensor(X, device=self.device)
        y = torch.as_tensor(y, device=self.device)
        self.adversary_.eval()
        inputs = self.adversary_input(self.predict_proba_tensor(X), y)
        return [
            torch.softmax(logits, dim=1).cpu().numpy()
            for logits in self.adversary_(inputs)
        ]
