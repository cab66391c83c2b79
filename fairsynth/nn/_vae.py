"""A variational autoencoder of encoded tables, for rarity discovery.

It reads the float matrix of :class:`fairsynth.preprocessing.TabularEncoder`, its
numeric codes turned into normal scores, and rebuilds it span by span: a
unit-variance Gaussian error on each number and a cross-entropy on each categorical
block. :class:`fairsynth.discovery.LatentRarity` trains it and reads the latent means.
"""

import torch
from torch import nn
from torch.nn import functional as F


def _mlp(n_in, hidden, n_out):
    return nn.Sequential(
        nn.Linear(n_in, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, n_out),
    )


class TabularVAE(nn.Module):
    """Two-layer MLP encoder and decoder with a diagonal Gaussian latent.

    Parameters
    ----------
    spans : sequence of Span
        The encoder's spans (``TabularEncoder.spans_``): which columns of the input
        are numbers (best given as normal scores) and which are one-hot blocks.
    latent_dim : int, default=8
        Size of the latent space.
    hidden : int, default=64
        Width of the hidden layers of the encoder and of the decoder.

    Examples
    --------
    >>> import torch
    >>> from fairsynth.nn import TabularVAE
    >>> from fairsynth.preprocessing import Span
    >>> vae = TabularVAE(
    ...     [Span("age", "numeric", 0, 1), Span("sex", "categorical", 1, 3)],
    ...     latent_dim=2, hidden=8,
    ... )
    >>> x = torch.tensor([[0.5, 1.0, 0.0], [-0.2, 0.0, 1.0]])
    >>> mean, log_var = vae.encode(x)
    >>> mean.shape, vae.loss(x).shape
    (torch.Size([2, 2]), torch.Size([]))
    """

    def __init__(self, spans, *, latent_dim=8, hidden=64):
        super().__init__()
        spans = list(spans)
        n_in = spans[-1].stop
        self.latent_dim = latent_dim
        self.numeric = [s.start for s in spans if s.kind == "numeric"]
        self.categorical = [(s.start, s.stop) for s in spans if s.kind != "numeric"]
        self.encoder = _mlp(n_in, hidden, 2 * latent_dim)
        self.decoder = _mlp(latent_dim, hidden, n_in)

    def encode(self, x):
        """Return the latent mean and log-variance of each row of ``x``."""
        mean, log_var = self.encoder(x).chunk(2, dim=1)
        # Bounded, so that a rare row cannot drive exp(log_var) to overflow.
        return mean, log_var.clamp(-10.0, 10.0)

    def decode(self, z):
        """Return the decoder's raw outputs: numbers as they are, and logits."""
        return self.decoder(z)

    def reconstruction(self, raw, x):
        """Per-row error of ``raw`` against ``x``: Gaussian plus cross-entropy."""
        error = x.new_zeros(len(x))
        if self.numeric:
            columns = torch.as_tensor(self.numeric, device=x.device)
            error = error + 0.5 * ((raw[:, columns] - x[:, columns]) ** 2).sum(1)
        for start, stop in self.categorical:
            target = x[:, start:stop].argmax(dim=1)
            error = error + F.cross_entropy(
                raw[:, start:stop], target, reduction="none"
            )
        return error

    def loss(self, x, *, beta=1.0, weight=None):
        """Negative evidence lower bound, averaged over rows (``weight``-ed)."""
        mean, log_var = self.encode(x)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
        kl = 0.5 * (mean**2 + log_var.exp() - 1.0 - log_var).sum(dim=1)
        per_row = self.reconstruction(self.decode(z), x) + beta * kl
        if weight is None:
            return per_row.mean()
        return (per_row * weight).sum() / weight.sum()
