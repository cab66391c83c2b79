"""The skorch net that trains the FairGAN: generator, critic, adversary, classifier."""

import copy

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import PassthroughScoring, ProgressBar
from torch import nn
from torch.nn import functional as F

from ..nn import CellClassifier, Critic, FairnessAdversary, Generator

# Small groups are drawn more often than their share, but less than uniformly: the
# square root keeps rare cells learnable without overfitting their few rows.
GROUP_TEMPERATURE = 0.5
LOSS_NAMES = ("critic_loss", "adversary_loss", "fairness_penalty", "classifier_loss")


class CellBatches:
    """Mini-batches whose cells follow a product of group and label marginals.

    Drawing group and label independently makes every batch a fair one, so the
    fairness adversary's best guess on generated rows should be the group prior.
    Rare groups are drawn more often (tempered marginal) so that they are learned.

    Parameters
    ----------
    data : dict of torch.Tensor
        ``x`` (encoded rows), ``codes`` (conditioning codes, label last) and
        ``group`` (sensitive group id), on the training device.
    batch_size : int
        Rows per batch; an epoch has as many rows as the data.
    """

    def __init__(self, data, batch_size):
        self.data, self.batch_size = data, batch_size
        self.weights = cell_weights(data["group"], data["codes"][:, -1])

    def __len__(self):
        return -(-len(self.weights) // self.batch_size)

    def __iter__(self):
        n_rows = len(self.weights)
        for start in range(0, n_rows, self.batch_size):
            size = min(self.batch_size, n_rows - start)
            index = torch.multinomial(self.weights, size, replacement=True)
            yield {key: value[index] for key, value in self.data.items()}


def cell_weights(group, label):
    """Row weights giving cell probability ``p(group)**T * p(label)``, normalised."""
    cell = group * (int(label.max()) + 1) + label
    cell_size = torch.bincount(cell)[cell].double()
    group_share = torch.bincount(group)[group].double() ** GROUP_TEMPERATURE
    label_share = torch.bincount(label)[label].double()
    # Within a cell every row is equally likely.
    return (group_share * label_share / cell_size).float()


class FairGANNet(NeuralNet):
    """A Wasserstein GAN with gradient penalty and a FairGAN+ fairness adversary.

    ``module`` is the generator; ``critic``, ``adversary`` and ``classifier`` are
    registered as further modules (``critic_``, ``adversary_``, ``classifier_``),
    each with its own optimizer, so ``set_params(critic__d_model=...)`` reaches
    them; ``generator_average_`` holds the generator's average weights (see
    ``average_decay``). ``fit`` takes ``X`` as a dict of arrays: ``x`` (encoded
    rows, float32), ``codes`` (conditioning codes of the sensitive columns then the
    label, int64), ``group`` (sensitive group id) and ``cell`` (the id of the row's
    (group, label) cell).

    Parameters
    ----------
    module, critic, adversary, classifier : type
        The generator, critic, adversary and label classifier classes (see
        :mod:`fairsynth.nn`).
    lambda_fair : float
        Weight of the fairness penalty on the generator; 0 turns the adversary off.
    lambda_cell : float
        Weight of the cell classifier's loss on generated rows; 0 turns it off.
    gp_weight : float
        Weight of the critic's gradient penalty.
    critic_steps : int
        Critic updates per generator update.
    adversary_steps : int
        Adversary updates, on the same generated batch, per generator update. A
        single one lets the generator hide the group from the adversary alone,
        with rows any other model still reads the group from.
    tau : float
        Gumbel-softmax temperature of the categorical outputs while training.
    average_decay : float
        Decay of the moving average of the generator's weights
        (``generator_average_``) that :meth:`sample_encoded` samples from; 0
        samples from the last weights. The generator and the critic chase each
        other, so the last weights land anywhere on their orbit; the average sits
        near its centre. On Adult it raised column fidelity from 0.87-0.90 to
        0.93-0.95 on each of four seeds, and no seed's table collapsed.
    **kwargs
        Passed to :class:`skorch.NeuralNet` (``module__*``, ``critic__*``,
        ``optimizer_critic__*``, ``lr``, ``max_epochs``, ``device``, ...).
    """

    def __init__(
        self,
        module=Generator,
        *args,
        critic=Critic,
        adversary=FairnessAdversary,
        classifier=CellClassifier,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        optimizer_critic=torch.optim.Adam,
        optimizer_adversary=torch.optim.Adam,
        optimizer_classifier=torch.optim.Adam,
        lambda_fair=1.0,
        lambda_cell=1.0,
        gp_weight=10.0,
        critic_steps=1,
        adversary_steps=5,
        tau=0.2,
        average_decay=0.995,
        **kwargs,
    ):
        kwargs.setdefault("train_split", None)
        super().__init__(module, criterion, *args, optimizer=optimizer, **kwargs)
        self.critic, self.adversary, self.classifier = critic, adversary, classifier
        self.optimizer_critic = optimizer_critic
        self.optimizer_adversary = optimizer_adversary
        self.optimizer_classifier = optimizer_classifier
        self.lambda_fair, self.lambda_cell = lambda_fair, lambda_cell
        self.gp_weight = gp_weight
        self.critic_steps, self.adversary_steps = critic_steps, adversary_steps
        self.tau, self.average_decay = tau, average_decay

    @property
    def _default_callbacks(self):
        scores = [
            (name, PassthroughScoring(name=name, on_train=True)) for name in LOSS_NAMES
        ]
        bar = [("progress_bar", ProgressBar())] if self.verbose else []
        return [*super()._default_callbacks, *scores, *bar]

    def initialize_module(self):
        """Build the generator, the critic, the adversary and the classifier."""
        super().initialize_module()
        self.critic_ = self.initialized_instance(
            self.critic, self.get_params_for("critic")
        )
        params = self.get_params_for("adversary")
        self.adversary_ = self.initialized_instance(self.adversary, params)
        params = self.get_params_for("classifier")
        self.classifier_ = self.initialized_instance(self.classifier, params)
        self.generator_average_ = copy.deepcopy(self.module_).requires_grad_(False)
        return self

    def initialize_optimizer(self, *_, **__):
        """Give each of the four modules an optimizer of its own."""
        for name, module in [
            ("optimizer", self.module_),
            ("optimizer_critic", self.critic_),
            ("optimizer_adversary", self.adversary_),
            ("optimizer_classifier", self.classifier_),
        ]:
            args, kwargs = self.get_params_for_optimizer(
                name, module.named_parameters()
            )
            setattr(self, name + "_", getattr(self, name)(*args, **kwargs))
        return self

    def get_iterator(self, dataset, training=False):
        """Cell-balanced batches of the training data, already on the device."""
        data = {
            key: torch.as_tensor(np.asarray(value)) for key, value in dataset.X.items()
        }
        data = {key: value.to(self.device) for key, value in data.items()}
        return CellBatches(data, self.batch_size)

    def generate(self, codes):
        """Activated generator output for the conditioning ``codes``."""
        noise = torch.randn(len(codes), self.module_.noise_dim, device=codes.device)
        return self.module_.activate(self.module_(noise, codes), tau=self.tau)

    def train_step(self, batch, **fit_params):
        """One round: critic, classifier and adversary updates, then the generator."""
        self._set_training(True)
        x, codes, group, cell = (batch[key] for key in ("x", "codes", "group", "cell"))
        for _ in range(self.critic_steps):
            critic_loss = self.critic_step(x, codes)
        classifier_loss = self.classifier_step(x, cell)
        fake = self.generate(codes)
        adversary_loss = self.adversary_step(fake.detach(), codes, group)
        generator_loss, penalty = self.generator_step(
            fake, codes, group, cell, classifier_loss
        )
        losses = (critic_loss, adversary_loss, penalty, classifier_loss)
        for name, value in zip(LOSS_NAMES, losses, strict=True):
            self.history.record_batch(name, float(value))
        return {"loss": generator_loss, "y_pred": fake}

    def critic_step(self, real, codes):
        """Update the critic on real rows against freshly generated ones."""
        with torch.no_grad():
            fake = self.generate(codes)
        wasserstein = (
            self.critic_(fake, codes).mean() - self.critic_(real, codes).mean()
        )
        loss = wasserstein + self.gp_weight * self.gradient_penalty(real, fake, codes)
        return self.update(self.optimizer_critic_, loss)

    def gradient_penalty(self, real, fake, codes):
        """Push the critic's gradient norm towards 1 between real and fake rows.

        Half the batch estimates the penalty well enough: differentiating the
        critic twice costs more than the rest of the step.
        """
        half = max(1, len(real) // 2)
        real, fake, codes = real[:half], fake[:half], codes[:half]
        alpha = torch.rand(len(real), 1, device=real.device)
        mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        (grad,) = torch.autograd.grad(
            self.critic_(mixed, codes).sum(), mixed, create_graph=True
        )
        return ((grad.norm(dim=1) - 1) ** 2).mean()

    def adversary_step(self, fake, codes, group):
        """Teach the adversary to recover the group from generated ``(x, y)``."""
        loss = torch.zeros(())
        for _ in range(self.adversary_steps if self.lambda_fair else 0):
            loss = F.cross_entropy(self.adversary_(fake, codes[:, -1]), group)
            loss = self.update(self.optimizer_adversary_, loss)
        return loss

    def classifier_step(self, real, cell):
        """Teach the cell classifier on real rows."""
        if not self.lambda_cell:
            return torch.zeros(())
        loss = F.cross_entropy(self.classifier_(real), cell)
        return self.update(self.optimizer_classifier_, loss)

    @staticmethod
    def update(optimizer, loss):
        """One optimizer step on ``loss``; return the detached loss."""
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.detach()

    def fairness_penalty(self, fake, codes, group):
        """How much better than the group prior the adversary guesses the group.

        This is the KL divergence from the batch's group distribution to the
        adversary's prediction: zero exactly when generated rows say nothing about
        the group beyond its base rate. Unlike maximising the adversary's loss, it
        cannot reward rows that fool the adversary into confident wrong answers,
        which would leak the group just as well.
        """
        prior = torch.bincount(group, minlength=self.adversary_.n_groups)
        prior = prior.float() / len(group)
        log_q = F.log_softmax(self.adversary_(fake, codes[:, -1]), dim=1)
        return (prior * (torch.log(prior.clamp_min(1e-12)) - log_q)).sum(1).mean()

    def generator_step(self, fake, codes, group, cell, real_cell_loss):
        """Update the generator against the critic, the adversary and the classifier.

        The classifier's loss keeps rows generated for a cell recognisable as that
        cell, but only as recognisable as real rows (``real_cell_loss``): pushing
        it lower would make every row a caricature of its cell, far from the
        decision boundaries that a model trained on them needs to learn. The
        adversary's penalty keeps rows from revealing the group.
        """
        loss = -self.critic_(fake, codes).mean()
        penalty = torch.zeros(())
        if self.lambda_fair:
            penalty = self.fairness_penalty(fake, codes, group)
            loss = loss + self.lambda_fair * penalty
        if self.lambda_cell:
            cell_loss = F.cross_entropy(self.classifier_(fake), cell)
            loss = loss + self.lambda_cell * F.relu(cell_loss - real_cell_loss)
        loss = self.update(self.optimizer_, loss)
        self.update_average()
        return loss, penalty.detach()

    def update_average(self):
        """Move the generator's average weights towards its current ones."""
        pairs = zip(
            self.generator_average_.parameters(), self.module_.parameters(), strict=True
        )
        with torch.no_grad():
            for average, current in pairs:
                average.lerp_(current, 1.0 - self.average_decay)

    def sample_encoded(self, codes, *, batch_size=1024):
        """Generate encoded rows (numpy) for conditioning ``codes`` (numpy int64).

        Rows come from the generator's average weights (``average_decay``).
        Category blocks come back as Gumbel-perturbed logits, not one-hot vectors:
        the decoder's argmax turns them into draws from each block's softmax. Small
        chunks keep the token activations in cache, which on a CPU is worth more
        than the larger matrix products of big chunks.
        """
        self._set_training(False)
        generator = self.generator_average_
        codes = torch.as_tensor(codes, device=self.device)
        with torch.inference_mode():
            parts = [
                generator.gumbel_logits(
                    generator(
                        torch.randn(
                            len(chunk), generator.noise_dim, device=self.device
                        ),
                        chunk,
                    )
                ).cpu()
                for chunk in codes.split(batch_size)
            ]
        if not parts:
            return np.empty((0, sum(generator.widths)), dtype=np.float32)
        return torch.cat(parts).numpy()
