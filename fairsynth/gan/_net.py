"""The skorch net that trains the FairGAN: by likelihood, then against a critic."""

import copy
import math

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import EpochTimer, PrintLog, ProgressBar
from torch import nn
from torch.nn import functional as F

from ..nn import Critic, FairnessAdversary, Generator
from . import _distributed as parallel
from ._batches import CellBatches, RowChunks, one_hot_rows, validation_split
from ._callbacks import TimeEstimate
from ._sampling import TokenSampling
from ._streaming import StreamedCellBatches, StreamedRows

# The learning rate rises over the first steps: Adam's early moments are noisy.
WARMUP_STEPS = 50
# The weight average starts as a short one, so that it soon leaves the initial
# weights: its decay is min(average_decay, (1 + t) / (AVERAGE_WARMUP + t)).
AVERAGE_WARMUP = 10
# The generator moves slowly against the critic: the likelihood phase already put it
# near the data, and a critic's gradient is noisy.
ADVERSARIAL_LR_SCALE = 0.1
EPOCH_LOSSES = ("loss", "critic_loss", "adversary_loss", "fairness_penalty")


class FairGANNet(TokenSampling, NeuralNet):
    """Train a conditional generator by likelihood, then as a Wasserstein GAN.

    The likelihood phase runs up to ``max_epochs`` epochs, with a cosine learning
    rate, and keeps the weight average (``generator_average_``) of the epoch with
    the best likelihood on a validation split of every cell, stopping once
    ``n_iter_no_change`` epochs bring no improvement. The adversarial phase then
    trains ``adversarial_epochs`` more epochs in which the generator also plays
    against a transformer critic with gradient penalty and, with ``lambda_fair``,
    a fairness adversary that tries to tell the sensitive group from generated
    ``(x, y)`` (FairGAN's second discriminator). ``critic_``, ``adversary_`` and
    their optimizers are first-class skorch modules, so
    ``set_params(critic__d_model=...)`` reaches them.

    ``fit`` takes ``X`` as a dict of arrays: ``tokens`` (one token per column,
    int64), ``codes`` (the sensitive columns' codes, then the label) and
    ``group`` (the sensitive group id); ``y`` is each row's cell id, which the
    validation split is stratified on. For data larger than memory, ``X`` is a
    :class:`~fairsynth.gan._streaming.StreamedRows` (and ``y`` None): batches
    are drawn from rows read chunk by chunk, with the same cell shares.

    Parameters
    ----------
    module, critic, adversary : type
        The generator, critic and adversary classes (see :mod:`fairsynth.nn`).
    lambda_fair : float
        Weight of the fairness penalty on the generator; 0 turns the adversary off.
    critic_weight : float
        Weight of the critic's score against the likelihood in the adversarial
        phase.
    gp_weight : float
        Weight of the critic's gradient penalty.
    critic_steps, adversary_steps : int
        Critic and adversary updates per generator update, each on a fresh batch.
    tau : float
        Gumbel-softmax temperature of the generator's draws against the critic.
    average_decay : float
        Decay of the moving average of the generator's weights
        (``generator_average_``) that is validated and sampled from; 0 keeps the
        last weights.
    adversarial_epochs : int
        Epochs of the adversarial phase; 0 trains by likelihood alone.
    validation_fraction : float
        Share of each cell's rows held out to choose the best epoch; 0 trains all
        ``max_epochs`` on every row.
    n_iter_no_change : int
        Likelihood epochs without a better validation likelihood before stopping.
    **kwargs
        Passed to :class:`skorch.NeuralNet` (``module__*``, ``critic__*``,
        ``optimizer_critic__*``, ``lr``, ``max_epochs``, ``device``, ...).

    Examples
    --------
    Rows of two columns of 3 tokens each, in the cells of 2 groups and 2 classes:

    >>> import numpy as np
    >>> from fairsynth.gan import FairGANNet, seeded
    >>> rng = np.random.default_rng(0)
    >>> group, label = rng.integers(0, 2, 64), rng.integers(0, 2, 64)
    >>> X = {
    ...     "tokens": rng.integers(0, 3, (64, 2)),
    ...     "codes": np.column_stack([group, label]),
    ...     "group": group,
    ... }
    >>> sizes = {"d_model": 8, "n_heads": 2, "n_layers": 1, "dim_feedforward": 16}
    >>> shapes = {"vocab_sizes": [3, 3], "cardinalities": [2, 2], **sizes}
    >>> net = FairGANNet(
    ...     **{f"module__{key}": value for key, value in shapes.items()},
    ...     **{f"critic__{key}": value for key, value in shapes.items()},
    ...     adversary__n_features=6,
    ...     adversary__n_classes=2,
    ...     adversary__n_groups=2,
    ...     adversary__hidden=8,
    ...     lambda_fair=0.0,
    ...     max_epochs=2,
    ...     batch_size=32,
    ...     verbose=0,
    ... )
    >>> with seeded(0, "cpu"):
    ...     net = net.fit(X, group * 2 + label)
    >>> [epoch["phase"] for epoch in net.history]
    ['likelihood', 'likelihood', 'adversarial']
    >>> net.sample_tokens(X["codes"][:5], rng.random((5, 2))).shape
    (5, 2)
    """

    def __init__(
        self,
        module=Generator,
        *args,
        critic=Critic,
        adversary=FairnessAdversary,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        optimizer_critic=torch.optim.Adam,
        optimizer_adversary=torch.optim.Adam,
        lambda_fair=1.0,
        critic_weight=1.0,
        gp_weight=10.0,
        critic_steps=1,
        adversary_steps=5,
        tau=0.5,
        average_decay=0.995,
        adversarial_epochs=1,
        validation_fraction=0.1,
        n_iter_no_change=5,
        **kwargs,
    ):
        kwargs.setdefault("train_split", None)
        super().__init__(module, criterion, *args, optimizer=optimizer, **kwargs)
        self.critic, self.adversary = critic, adversary
        self.optimizer_critic = optimizer_critic
        self.optimizer_adversary = optimizer_adversary
        self.lambda_fair, self.critic_weight = lambda_fair, critic_weight
        self.gp_weight = gp_weight
        self.critic_steps, self.adversary_steps = critic_steps, adversary_steps
        self.tau, self.average_decay = tau, average_decay
        self.adversarial_epochs = adversarial_epochs
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change

    @property
    def _default_callbacks(self):
        # Losses are recorded once per epoch (run_single_epoch), so skorch's
        # per-batch loss scoring is left out.
        logs = [
            ("print_log", PrintLog()),
            ("progress_bar", ProgressBar()),
            ("time_estimate", TimeEstimate()),
        ]
        return [("epoch_timer", EpochTimer()), *(logs if self.verbose else [])]

    def initialize_module(self):
        """Build the generator, its weight average, the critic and the adversary."""
        super().initialize_module()
        self.critic_ = self.initialized_instance(
            self.critic, self.get_params_for("critic")
        )
        params = self.get_params_for("adversary")
        self.adversary_ = self.initialized_instance(self.adversary, params)
        self.generator_average_ = copy.deepcopy(self.module_).requires_grad_(False)
        self.average_steps_ = 0
        return self

    def initialize_optimizer(self, *_, **__):
        """Give the generator, the critic and the adversary an optimizer each."""
        for name, module in [
            ("optimizer", self.module_),
            ("optimizer_critic", self.critic_),
            ("optimizer_adversary", self.adversary_),
        ]:
            args, kwargs = self.get_params_for_optimizer(
                name, module.named_parameters()
            )
            setattr(self, name + "_", getattr(self, name)(*args, **kwargs))
        return self

    # ----------------------------------------------------------------- the loop
    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Train; unlike skorch's, an interrupt propagates instead of ending fit."""
        if not self.initialized_:
            self.initialize()
        self.notify("on_train_begin", X=X, y=y)
        try:
            self.fit_loop(X, y, **fit_params)
        finally:
            self.notify("on_train_end", X=X, y=y)
        return self

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """Train by likelihood until it stops improving, then adversarially."""
        self.check_training_readiness()
        # Under torch.distributed, every process starts from rank 0's weights.
        parallel.broadcast_modules(
            self.module_, self.generator_average_, self.critic_, self.adversary_
        )
        train, valid = self.get_split_datasets(X, y)
        self.batches_ = self.get_iterator(train, training=True)
        datasets = {"dataset_train": train, "dataset_valid": valid}
        self.likelihood_steps_ = (epochs or self.max_epochs) * len(self.batches_)
        try:
            best = self.likelihood_phase(datasets, epochs or self.max_epochs)
            # The adversarial phase starts from the best generator, as sampling
            # would.
            self.generator_average_.load_state_dict(best)
            self.module_.load_state_dict(best)
            for _ in range(self.adversarial_epochs):
                self.run_epoch(datasets, self.adversarial_step, "adversarial")
        finally:
            # A fitted net (and its pickle) keeps what it learned, not the rows.
            del self.batches_
        return self

    def likelihood_phase(self, datasets, epochs):
        """Train by likelihood; return the weight average of the best epoch.

        The best epoch has the lowest validation loss; without a validation split
        it is the last one.
        """
        best_loss, best, stale = math.inf, None, 0
        for _ in range(epochs):
            self.run_epoch(datasets, self.likelihood_step, "likelihood")
            loss = self.history[-1].get("valid_loss", -math.inf)
            if loss < best_loss or best is None or loss == -math.inf:
                best_loss, stale = loss, 0
                best = copy.deepcopy(self.generator_average_.state_dict())
            else:
                stale += 1
            if stale >= self.n_iter_no_change:
                break
        return best

    def get_split_datasets(self, X, y=None, **fit_params):
        """Hold out ``validation_fraction`` of every cell, as tensors on the device.

        Streamed rows (:class:`~fairsynth.gan._streaming.StreamedRows`) bring
        their own validation rows.
        """
        if isinstance(X, StreamedRows):
            return X, None if X.validation is None else self.on_device(X.validation)
        data = self.on_device(X)
        held_out = validation_split(np.asarray(y), self.validation_fraction)
        if not held_out.any():
            return data, None
        held_out = torch.as_tensor(held_out, device=self.device)
        return (
            {key: value[~held_out] for key, value in data.items()},
            {key: value[held_out] for key, value in data.items()},
        )

    def on_device(self, arrays):
        """Return a dict of arrays as tensors on the device."""
        return {
            key: torch.as_tensor(np.asarray(value)).to(self.device)
            for key, value in arrays.items()
        }

    def get_iterator(self, dataset, training=False):
        """Cell-balanced batches for training; the rows in chunks to validate."""
        if dataset is None:
            return None
        if isinstance(dataset, StreamedRows):
            return StreamedCellBatches(dataset, self.batch_size, self.device)
        if training:
            return CellBatches(dataset, self.batch_size)
        return RowChunks(dataset)

    def run_epoch(self, datasets, step_fn, phase):
        """One epoch of ``step_fn`` over the training batches, then validation."""
        self.notify("on_epoch_begin", **datasets)
        self.history.record("phase", phase)
        self.run_single_epoch(self.batches_, True, "train", step_fn)
        valid = self.get_iterator(datasets["dataset_valid"])
        self.run_single_epoch(valid, False, "valid", self.validation_step)
        self.notify("on_epoch_end", **datasets)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """Run ``step_fn`` on every batch; record the mean losses once per epoch.

        Losses add up on the device, so a GPU never waits for the host within an
        epoch. ``loss`` is recorded as ``train_loss`` (``valid_loss``), the other
        losses under their own names.
        """
        if iterator is None:
            return
        totals, batches = {}, 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            for name, value in step.items():
                totals[name] = totals.get(name, 0.0) + value.detach()
            self.notify("on_batch_end", batch=batch, training=training, **step)
            batches += 1
        # Under torch.distributed, the means are over every process's batches.
        totals, count = parallel.reduce_epoch(totals, batches)
        for name, total in totals.items():
            key = f"{prefix}_loss" if name == "loss" else name
            self.history.record(key, float(total) / count)
        self.history.record(f"{prefix}_batch_count", batches)

    # ----------------------------------------------------------------- the steps
    def likelihood_step(self, batch, **fit_params):
        """One generator update on the negative log-likelihood of a real batch."""
        self._set_training(True)
        self.set_generator_lr()
        with parallel.private_noise(self.module_):
            nll = self.negative_log_likelihood(self.module_, batch)
        self.update(self.optimizer_, nll)
        self.update_average()
        return {"loss": nll.detach()}

    def adversarial_step(self, batch, **fit_params):
        """Critic and adversary updates, then the generator against both."""
        self._set_training(True)
        for group in self.optimizer_.param_groups:
            group["lr"] = self.lr * ADVERSARIAL_LR_SCALE
        critic_loss = torch.zeros((), device=self.device)
        for _ in range(self.critic_steps):
            critic_loss = self.critic_step(self.batches_.draw())
        adversary_loss = self.adversary_step()
        return {
            **self.generator_step(batch),
            "critic_loss": critic_loss,
            "adversary_loss": adversary_loss,
        }

    def validation_step(self, batch, **fit_params):
        """Score the weight average's negative log-likelihood of a validation chunk."""
        with torch.no_grad():
            self.generator_average_.eval()
            nll = self.negative_log_likelihood(self.generator_average_, batch)
        return {"loss": nll}

    @staticmethod
    def negative_log_likelihood(generator, batch):
        """Mean ``-log p(row | cell)`` of a batch, in nats per row."""
        return -generator.log_likelihood(batch["tokens"], batch["codes"]).mean()

    def set_generator_lr(self):
        """Warm up, then follow a cosine down to 0 over the likelihood steps."""
        step = self.average_steps_
        warmup = min(1.0, (step + 1) / WARMUP_STEPS)
        progress = min(1.0, step / max(1, self.likelihood_steps_))
        for group in self.optimizer_.param_groups:
            group["lr"] = self.lr * warmup * 0.5 * (1 + math.cos(math.pi * progress))

    def one_hot(self, tokens):
        """Return the one-hot rows that the critic and the adversary read."""
        return one_hot_rows(tokens, self.module_.vocab_sizes)

    def generated_rows(self, codes):
        """One-hot rows drawn from the generator for ``codes``, without gradients."""
        with torch.no_grad():
            uniforms = parallel.shared_rand(len(codes), len(self.module_.vocab_sizes))
            with parallel.private_noise(self.module_):
                tokens = self.module_.sample(codes, uniforms.to(self.device))
            return self.one_hot(tokens)

    def critic_step(self, batch):
        """Update the critic on a real batch against freshly generated rows."""
        real, codes = self.one_hot(batch["tokens"]), batch["codes"]
        fake = self.generated_rows(codes)
        wasserstein = (
            self.critic_(fake, codes).mean() - self.critic_(real, codes).mean()
        )
        loss = wasserstein + self.gp_weight * self.gradient_penalty(real, fake, codes)
        return self.update(self.optimizer_critic_, loss)

    def gradient_penalty(self, real, fake, codes):
        """Push the critic's gradient norm towards 1 between real and fake rows.

        The penalty is computed out of place with ``create_graph=True``, so that
        its own backward pass is an ordinary one. Half the batch estimates it well
        enough: differentiating the critic twice costs more than the rest of the
        step.
        """
        # Under torch.distributed, it is the whole batch's first half.
        whole, half = parallel.first_half(len(real))
        real, fake, codes = real[:half], fake[:half], codes[:half]
        alpha = parallel.share(torch.rand(whole, 1, device=real.device))
        mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(
            self.critic_(mixed, codes).sum(), mixed, create_graph=True
        )
        return parallel.batch_mean((grad.norm(dim=1) - 1) ** 2, whole)

    def adversary_step(self):
        """Teach the adversary the group of generated rows, a fresh batch a step."""
        loss = torch.zeros((), device=self.device)
        for _ in range(self.adversary_steps if self.lambda_fair else 0):
            batch = self.batches_.draw()
            fake = self.generated_rows(batch["codes"])
            logits = self.adversary_(fake, batch["codes"][:, -1])
            loss = F.cross_entropy(logits, batch["group"])
            loss = self.update(self.optimizer_adversary_, loss)
        return loss

    def fairness_penalty(self, fake, codes, group):
        """How much better than the group prior the adversary guesses the group.

        This is the KL divergence from the batch's group distribution to the
        adversary's prediction: zero exactly when generated rows say nothing about
        the group beyond its base rate. Unlike maximising the adversary's loss, it
        cannot reward rows that fool the adversary into confident wrong answers,
        which would leak the group just as well.
        """
        # Under torch.distributed, the prior is the whole batch's.
        prior = torch.bincount(group, minlength=self.adversary_.n_groups)
        prior = parallel.all_sum(prior).float() / (len(group) * parallel.world()[1])
        log_q = F.log_softmax(self.adversary_(fake, codes[:, -1]), dim=1)
        return (prior * (torch.log(prior.clamp_min(1e-12)) - log_q)).sum(1).mean()

    def generator_step(self, batch):
        """Update the generator on its likelihood, the critic and the adversary."""
        codes = batch["codes"]
        with parallel.private_noise(self.module_):
            nll = self.negative_log_likelihood(self.module_, batch)
            fake = parallel.relaxed_rows(self.module_, codes, tau=self.tau)
        loss = nll - self.critic_weight * self.critic_(fake, codes).mean()
        penalty = torch.zeros((), device=self.device)
        if self.lambda_fair:
            penalty = self.fairness_penalty(fake, codes, batch["group"])
            loss = loss + self.lambda_fair * penalty
        self.update(self.optimizer_, loss)
        self.update_average()
        return {"loss": nll.detach(), "fairness_penalty": penalty.detach()}

    @staticmethod
    def update(optimizer, loss):
        """One optimizer step on ``loss``; return the detached loss."""
        optimizer.zero_grad()
        loss.backward()
        parallel.average_gradients(optimizer)
        optimizer.step()
        return loss.detach()

    def update_average(self):
        """Move the generator's average weights towards its current ones."""
        step = self.average_steps_ = self.average_steps_ + 1
        decay = min(self.average_decay, step / (AVERAGE_WARMUP + step))
        pairs = zip(
            self.generator_average_.parameters(), self.module_.parameters(), strict=True
        )
        with torch.no_grad():
            for average, current in pairs:
                average.lerp_(current, 1.0 - decay)
