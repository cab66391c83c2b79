"""The torch side of FairGANSampler: build, train and sample the skorch net.

Kept apart so that the sampler module imports torch only when it trains or samples.
"""

import numpy as np

from ..gan import FairGANNet, resolve_device, seeded
from ..nn import CellClassifier, Critic, FairnessAdversary, Generator

# Betas of the WGAN-GP paper: little momentum keeps the adversarial game stable.
ADAM_BETAS = (0.5, 0.9)


def build_net(sampler, widths, kinds, cardinalities, n_groups):
    """Build a FairGANNet with the sampler's hyperparameters."""
    sizes = {
        "d_model": sampler.d_model,
        "n_heads": sampler.n_heads,
        "n_layers": sampler.n_layers,
        "dim_feedforward": sampler.dim_feedforward,
    }
    # foreach updates all of a module's small tensors at once, not one at a time.
    optimizers = {
        f"{name}__{key}": value
        for key, value in (("betas", ADAM_BETAS), ("foreach", True))
        for name in (
            "optimizer",
            "optimizer_critic",
            "optimizer_adversary",
            "optimizer_classifier",
        )
    }
    return FairGANNet(
        module=Generator,
        module__widths=widths,
        module__kinds=kinds,
        module__cardinalities=cardinalities,
        module__noise_dim=sampler.noise_dim,
        **{f"module__{k}": v for k, v in sizes.items()},
        critic=Critic,
        critic__widths=widths,
        critic__cardinalities=cardinalities,
        **{f"critic__{k}": v for k, v in sizes.items()},
        adversary=FairnessAdversary,
        adversary__n_features=sum(widths),
        adversary__n_classes=cardinalities[-1],
        adversary__n_groups=n_groups,
        adversary__hidden=sampler.adversary_hidden,
        classifier=CellClassifier,
        classifier__n_features=sum(widths),
        classifier__n_cells=n_groups * cardinalities[-1],
        classifier__hidden=sampler.adversary_hidden,
        # With a single group there is nothing for the adversary to find, and rows
        # added to real ones must show their group (see FairGANSampler.lambda_fair).
        lambda_fair=0.0 if n_groups == 1 or sampler.keep_real else sampler.lambda_fair,
        lambda_cell=sampler.lambda_cell,
        gp_weight=sampler.gp_weight,
        critic_steps=sampler.critic_steps,
        adversary_steps=sampler.adversary_steps,
        tau=sampler.tau,
        average_decay=sampler.average_decay,
        lr=sampler.lr,
        **optimizers,
        max_epochs=sampler.epochs,
        batch_size=sampler.batch_size,
        device=resolve_device(sampler.device),
        verbose=sampler.verbose,
    )


def train_net(sampler, encoded, codes, group_ids, value_cardinalities):
    """Build the net for ``sampler`` and fit it on the encoded rows of each cell."""
    spans = sampler.encoder_.spans_
    cardinalities = [*value_cardinalities, len(sampler.classes_)]
    net = build_net(
        sampler,
        [span.width for span in spans],
        [span.kind for span in spans],
        cardinalities,
        n_groups=len(sampler.groups_),
    )
    data = {
        "x": encoded.astype(np.float32),
        "codes": codes.astype(np.int64),
        "group": group_ids.astype(np.int64),
        "cell": (group_ids * len(sampler.classes_) + codes[:, -1]).astype(np.int64),
    }
    with seeded(sampler._rng.randint(2**31 - 1), net.device):
        net.fit(data, None)
    return net


def sample_net(net, codes, rng):
    """Generate encoded rows for ``codes``, seeded from the sampler's ``rng``."""
    with seeded(rng.randint(2**31 - 1), net.device):
        return net.sample_encoded(codes.astype(np.int64))
