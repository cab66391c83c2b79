"""The torch side of FairGANSampler: build, train and sample the skorch net.

Kept apart so that the sampler module imports torch only when it trains or samples.
"""

import math

import numpy as np

from ..gan import FairGANNet, resolve_device, seeded
from ..gan import _distributed as parallel
from ..nn import Critic, FairnessAdversary, Generator
from ._cells import allowed_tokens

# Betas of the WGAN-GP paper: little momentum keeps the adversarial game stable.
ADAM_BETAS = (0.5, 0.9)
# epochs="auto" trains for at least this many likelihood steps, and at most
# MAX_AUTO_EPOCHS passes; the validation split stops it earlier when it overfits.
AUTO_STEPS = 3000
MAX_AUTO_EPOCHS = 300
# batch_size="auto": a 32nd of the rows, within these bounds, so that a small table
# still gets many steps per epoch and a large one batches that use the hardware.
AUTO_BATCH = (32, 512)
# The memory a fit adds (CPU, one thread): torch's working set, every token with
# its copies, and per batch row and token the logits, one-hot rows, the critic's
# gradient penalty and their gradients. Fitted to Adult (32k and 130k rows, 12
# columns, 516 and 1,478 tokens: 406-474 MB) and to the raw 41-column COMPAS file
# (54,314 tokens: 2.1 GB), each within 15 %.
FIXED_BYTES = 350e6
BYTES_PER_TOKEN = 60
BYTES_PER_BATCH_LOGIT = 150


def resolve_batch_size(batch_size, n_rows):
    """``batch_size``, or for ``"auto"`` a 32nd of ``n_rows`` within AUTO_BATCH."""
    if batch_size != "auto":
        return batch_size
    return int(np.clip(n_rows // 32, *AUTO_BATCH))


def resolve_epochs(epochs, n_rows, batch_size):
    """``epochs``, or for ``"auto"`` enough epochs for AUTO_STEPS steps."""
    if epochs != "auto":
        return epochs
    steps_per_epoch = math.ceil(n_rows / batch_size)
    return min(MAX_AUTO_EPOCHS, math.ceil(AUTO_STEPS / steps_per_epoch))


def estimated_memory(n_rows, vocab_sizes, batch_size):
    """Bytes of memory that training on ``n_rows`` rows adds, roughly (see above)."""
    return (
        FIXED_BYTES
        + n_rows * len(vocab_sizes) * BYTES_PER_TOKEN
        + batch_size * sum(vocab_sizes) * BYTES_PER_BATCH_LOGIT
    )


def available_memory():
    """Bytes of memory the system can still give (Linux), or None when unknown."""
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def check_memory(n_rows, vocab_sizes, batch_size):
    """Refuse, before training, a fit that would need more memory than is free."""
    needed, free = estimated_memory(n_rows, vocab_sizes, batch_size), available_memory()
    if free is not None and needed > free:
        raise MemoryError(
            f"Training would need about {needed / 1e9:.1f} GB of memory "
            f"({n_rows:,} rows x {len(vocab_sizes)} columns, {sum(vocab_sizes):,} "
            f"tokens, batches of {batch_size}), and {free / 1e9:.1f} GB are "
            "free. Train on a sample of the rows, drop wide columns (identifiers, "
            "free text), or lower n_bins or batch_size."
        )


def build_net(sampler, cardinalities, n_rows, allowed=None):
    """Build a FairGANNet with the sampler's hyperparameters for ``n_rows`` rows.

    ``allowed`` tells the generator which tokens each conditioning value allows
    (see :func:`fairsynth.sampler._cells.allowed_tokens`); None allows every
    token, in a mask of the same shape that saved weights can fill.
    """
    vocab_sizes = sampler.tokenizer_.vocab_sizes_
    n_groups = len(sampler.groups_)
    if allowed is None:
        allowed = np.ones((sum(cardinalities), sum(vocab_sizes)), dtype=bool)
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
        for name in ("optimizer", "optimizer_critic", "optimizer_adversary")
    }
    batch_size = resolve_batch_size(sampler.batch_size, n_rows)
    return FairGANNet(
        module=Generator,
        module__vocab_sizes=vocab_sizes,
        module__cardinalities=cardinalities,
        module__dropout=sampler.dropout,
        module__allowed=allowed,
        **{f"module__{k}": v for k, v in sizes.items()},
        critic=Critic,
        critic__vocab_sizes=vocab_sizes,
        critic__cardinalities=cardinalities,
        **{f"critic__{k}": v for k, v in sizes.items()},
        adversary=FairnessAdversary,
        adversary__n_features=sum(vocab_sizes),
        adversary__n_classes=cardinalities[-1],
        adversary__n_groups=n_groups,
        adversary__hidden=sampler.adversary_hidden,
        lambda_fair=sampler.lambda_fair_,
        critic_weight=sampler.critic_weight,
        gp_weight=sampler.gp_weight,
        critic_steps=sampler.critic_steps,
        adversary_steps=sampler.adversary_steps,
        tau=sampler.tau,
        average_decay=sampler.average_decay,
        adversarial_epochs=sampler.adversarial_epochs,
        validation_fraction=sampler.validation_fraction,
        n_iter_no_change=sampler.n_iter_no_change,
        lr=sampler.lr,
        **optimizers,
        max_epochs=resolve_epochs(sampler.epochs, n_rows, batch_size),
        batch_size=batch_size,
        device=parallel.process_device(resolve_device(sampler.device)),
        # Under torch.distributed, rank 0 alone prints.
        verbose=sampler.verbose if parallel.is_main_process() else 0,
    )


def join_processes(sampler, seeds):
    """Join the processes ``torchrun`` started, if any; return rank 0's ``seeds``.

    Every process then fits the same tokenizer and starts the same networks
    (see :mod:`fairsynth.gan._distributed`).
    """
    parallel.join_process_group(resolve_device(sampler.device))
    return parallel.broadcast_seeds(seeds)


def train_net(
    sampler, tokens, codes, group_ids, value_cardinalities, *, seed, weights=None
):
    """Build the net for ``sampler`` and fit it on the tokens of each cell's rows.

    ``weights`` (None: all 1) weight each row's draws into training batches;
    ``seed`` seeds the training.
    """
    cardinalities = [*value_cardinalities, len(sampler.classes_)]
    n_train = round(len(tokens) * (1 - sampler.validation_fraction))
    vocab_sizes = sampler.tokenizer_.vocab_sizes_
    check_memory(
        len(tokens), vocab_sizes, resolve_batch_size(sampler.batch_size, n_train)
    )
    allowed = allowed_tokens(tokens, codes, vocab_sizes, cardinalities)
    net = build_net(sampler, cardinalities, n_train, allowed)
    data = {
        "tokens": tokens.astype(np.int64),
        "codes": codes.astype(np.int64),
        "group": group_ids.astype(np.int64),
        "weight": np.ones(len(tokens), np.float32)
        if weights is None
        else weights.astype(np.float32),
    }
    cells = group_ids * len(sampler.classes_) + codes[:, -1]
    with seeded(seed, net.device):
        net.fit(data, cells)
    return net
