"""Training of the tabular VAE, and its weights as NumPy arrays for scoring.

This module imports torch; :class:`LatentRarity` loads it only when it fits.
Scoring and decoding run on the NumPy copies, so a fitted model needs no torch.
"""

import numpy as np
import torch

from ..gan._device import seeded
from ..nn import TabularVAE

# Rows per forward pass when the training rows are encoded between epochs.
ENCODE_BATCH = 65_536


def train_vae(codes, spans, *, seed, debias_weights=None, **settings):
    """Fit a :class:`~fairsynth.nn.TabularVAE` to ``codes``; return its layers.

    ``settings`` holds ``latent_dim``, ``hidden``, ``epochs``, ``batch_size``,
    ``learning_rate`` and ``beta``. With ``debias_weights`` (a function of the
    rows' latent means), each epoch after the first draws its rows with those
    weights, recomputed from the current encoder, as DB-VAE does.
    """
    x = torch.as_tensor(codes, dtype=torch.float32)
    with seeded(seed, "cpu"):
        vae = TabularVAE(
            spans, latent_dim=settings["latent_dim"], hidden=settings["hidden"]
        )
        optimizer = torch.optim.Adam(vae.parameters(), lr=settings["learning_rate"])
        probabilities = None
        for _ in range(settings["epochs"]):
            _train_epoch(vae, optimizer, x, probabilities, settings)
            if debias_weights is not None:
                weights = debias_weights(_means(vae, x))
                probabilities = torch.as_tensor(weights, dtype=torch.float64)
    return _layers(vae.encoder), _layers(vae.decoder)


def _train_epoch(vae, optimizer, x, probabilities, settings):
    n_rows, batch_size = len(x), settings["batch_size"]
    if probabilities is None:
        order = torch.randperm(n_rows)
    else:
        order = torch.multinomial(probabilities, n_rows, replacement=True)
    vae.train()
    # A last batch of one row would make a noisy step; it joins the next epoch.
    for start in range(0, n_rows - 1, batch_size):
        loss = vae.loss(x[order[start : start + batch_size]], beta=settings["beta"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def _means(vae, x):
    vae.eval()
    with torch.no_grad():
        parts = [
            vae.encode(x[i : i + ENCODE_BATCH])[0]
            for i in range(0, len(x), ENCODE_BATCH)
        ]
    return torch.cat(parts).numpy().astype(np.float64)


def _layers(sequential):
    """Return the ``(weight.T, bias)`` NumPy pairs of a stack of Linear layers."""
    return [
        (module.weight.detach().numpy().T.copy(), module.bias.detach().numpy().copy())
        for module in sequential
        if isinstance(module, torch.nn.Linear)
    ]
