"""Data-parallel training over processes, with ``torch.distributed``.

Every process holds the whole training table and the same networks, seeded
alike. Each global batch is drawn on every process from the same random stream
and split row by row: process ``r`` of ``w`` takes rows ``r, r + w, ...``. After
each backward pass the gradients are averaged over the processes, one flat
all-reduce per optimizer step, so every process takes the same step. With one
process (no process group, or a group of one) every function here does nothing,
so a plain fit is unchanged.

The gradients are averaged by hand instead of through
:class:`~torch.nn.parallel.DistributedDataParallel`: DDP sees only a module's
``forward``, and the generator trains through ``log_likelihood`` and
``sample_relaxed``; it does not support ``torch.autograd.grad`` on its
parameters' graph, which the critic's gradient penalty differentiates; and it
renames the weights (``module.``) that model files store.

Noise is drawn so that the split run is the single-process one, row for row: the
uniforms and Gumbel noise of a batch, and the gradient penalty's interpolation,
are drawn for the whole batch on every process, which keeps their random
streams in step, and each process keeps its rows'. Dropout is the exception: a
process draws its own masks (see :func:`private_noise`).
"""

import contextlib
import hashlib
import os

import torch
from torch import distributed as dist
from torch import nn
from torch.nn import functional as F


def world():
    """Return this process's rank and the number of processes (0 and 1 alone)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main_process():
    """Whether this process is rank 0, the one that writes files and prints.

    Examples
    --------
    >>> from fairsynth.gan import is_main_process
    >>> is_main_process()
    True
    """
    return world()[0] == 0


def launched():
    """Whether ``torchrun`` started this process as one of several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def process_device(device):
    """Return the device this process trains on: with CUDA, its local rank's GPU."""
    resolved = torch.device(device)
    several = launched() or world()[1] > 1
    if resolved.type == "cuda" and resolved.index is None and several:
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return device


def join_process_group(device):
    """Start the process group that ``torchrun``'s variables describe, once.

    The backend is NCCL for CUDA and gloo for the CPU. Alone, or in a group
    already started (by the caller, say), it does nothing.
    """
    if not launched() or dist.is_initialized():
        return
    device = torch.device(process_device(device))
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")


def broadcast_seeds(seeds):
    """Rank 0's ``seeds`` (a list of ints), on every process."""
    if world()[1] == 1:
        return seeds
    shared = [list(seeds)]
    dist.broadcast_object_list(shared, src=0)
    return shared[0]


def broadcast_modules(*modules):
    """Give every process rank 0's weights and buffers, as DDP does at its start."""
    if world()[1] == 1:
        return
    with torch.no_grad():
        for module in modules:
            for tensor in module.state_dict().values():
                dist.broadcast(tensor, src=0)


def check_same_rows(data):
    """Refuse to train when the processes hold different training rows.

    Every process must hold the whole table, the same rows in the same order,
    because each takes its share of batches drawn alike by row number.
    """
    size = world()[1]
    if size == 1:
        return
    tokens = data["tokens"]
    position = torch.arange(len(tokens), device=tokens.device)
    # Integer sums wrap alike on every process, so they make a fingerprint.
    fingerprint = torch.stack(
        [
            torch.tensor(len(tokens), device=tokens.device),
            tokens.sum(),
            (tokens[:, 0] * position).sum(),
            data["codes"].sum(),
        ]
    )
    every = [torch.zeros_like(fingerprint) for _ in range(size)]
    dist.all_gather(every, fingerprint)
    if any(not torch.equal(every[0], other) for other in every[1:]):
        raise ValueError(
            "The processes hold different training rows. Under torchrun, every "
            "process fits the whole table, the same rows in the same order (each "
            "trains on its share of every batch); give each the same X and y."
        )


def average_gradients(optimizer):
    """Replace the gradients of ``optimizer``'s parameters by their mean over ranks.

    One all-reduce of all of them at once: these networks are small, so one
    message costs less than many.
    """
    size = world()[1]
    if size == 1:
        return
    grads = [
        parameter.grad
        for group in optimizer.param_groups
        for parameter in group["params"]
        if parameter.grad is not None
    ]
    if not grads:
        return
    flat = torch.cat([grad.reshape(-1) for grad in grads])
    dist.all_reduce(flat)
    flat /= size
    for grad, part in zip(grads, flat.split([g.numel() for g in grads]), strict=True):
        grad.copy_(part.view_as(grad))


def all_sum(tensor):
    """``tensor`` summed over the processes (a new tensor; itself alone)."""
    if world()[1] == 1:
        return tensor
    total = tensor.clone()
    dist.all_reduce(total)
    return total


def whole_shares(n_rows):
    """``n_rows`` rounded up to a multiple of the number of processes.

    Every process then holds as many rows of a batch, so that their random
    streams, which draw for the whole batch, stay in step.
    """
    size = world()[1]
    return -(-n_rows // size) * size


def share(rows):
    """Return this process's share of ``rows`` (a tensor, a range): every w-th one."""
    rank, size = world()
    return rows if size == 1 else rows[rank::size]


def shared_rand(n_rows, *shape, device=None):
    """Uniforms for this process's ``n_rows`` rows, drawn for the whole batch."""
    size = world()[1]
    return share(torch.rand(n_rows * size, *shape, device=device))


def first_half(n_rows):
    """Return the rows of the whole batch's first half, and how many are ours.

    ``n_rows`` is this process's share of the batch.
    """
    rank, size = world()
    whole = max(1, n_rows * size // 2)
    return whole, len(range(rank, whole, size))


def batch_mean(values, n_whole):
    """Return this process's part of the mean of ``values`` over ``n_whole`` rows.

    Scaled so that the mean over the processes of each one's part is the whole
    batch's mean, however its rows fall to them; alone, ``values.mean()``.
    """
    size = world()[1]
    return values.mean() if size == 1 else values.sum() * (size / n_whole)


def relaxed_rows(generator, codes, *, tau):
    """:meth:`fairsynth.nn.Generator.sample_relaxed`, for this process's rows.

    Each column's Gumbel noise is drawn for the whole batch (the rows of the
    other processes padded with zero logits), and this process keeps its rows'.
    """
    size = world()[1]
    if size == 1:
        return generator.sample_relaxed(codes, tau=tau)

    def straight_through(j, logits):
        whole = logits.new_zeros(len(logits) * size, logits.shape[1])
        whole = whole.index_copy(0, share(torch.arange(len(whole))), logits)
        one_hot = share(F.gumbel_softmax(whole, tau=tau, hard=True))
        start = int(generator.starts[j])
        weight = generator.token_embedding.weight[start : start + one_hot.shape[1]]
        return one_hot, one_hot @ weight

    return torch.cat(generator._decode(codes, straight_through), dim=1)


def private_noise(module):
    """Return a context in which ``module``'s dropout draws this process's masks.

    Dropout masks are drawn at the size of a process's rows, so they cannot be
    the single-process masks; they come from a stream seeded by the shared
    stream's state and the rank, which leaves the shared stream where it was.
    Alone, or without active dropout, the context does nothing.
    """
    rank, size = world()
    dropping = any(
        isinstance(layer, nn.Dropout) and layer.p > 0 and layer.training
        for layer in module.modules()
    )
    if size == 1 or not dropping:
        return contextlib.nullcontext()
    device = next(module.parameters()).device
    on_gpu = device.type == "cuda"
    state = torch.cuda.get_rng_state(device) if on_gpu else torch.get_rng_state()
    digest = hashlib.blake2b(state.numpy().tobytes() + rank.to_bytes(4, "little"))
    seed = int.from_bytes(digest.digest()[:8], "little") >> 1
    return _forked(seed, device)


@contextlib.contextmanager
def _forked(seed, device):
    """Seed the generator of ``device`` inside the block; restore it after."""
    on_gpu = device.type == "cuda"
    gpus = [device.index if device.index is not None else 0] if on_gpu else []
    with torch.random.fork_rng(devices=gpus):
        if on_gpu:
            torch.cuda.manual_seed(seed)
        else:
            torch.default_generator.manual_seed(seed)
        yield


def reduce_epoch(totals, count):
    """Sum an epoch's loss totals and batch count over the processes.

    ``totals`` maps names to device scalars, in the same order on every
    process. Returns them and the count, as given when alone.
    """
    if world()[1] == 1:
        return totals, count
    values = [*totals.values(), torch.as_tensor(count, dtype=torch.float64)]
    device = values[0].device
    packed = all_sum(torch.stack([v.to(device, torch.float64) for v in values]))
    return dict(zip(totals, packed[:-1], strict=True)), float(packed[-1])
