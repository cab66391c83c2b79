"""Torch modules of the adversarial classifier: the predictor and the adversary."""

import torch
from torch import nn


def _mlp(n_inputs, layer_sizes, dropout):
    """Stack ``Linear -> ReLU (-> Dropout)`` blocks.

    Parameters
    ----------
    n_inputs : int
        Width of the input.
    layer_sizes : sequence of int
        Width of each hidden layer; empty for no hidden layer.
    dropout : float
        Dropout rate after each hidden layer, 0 for none.

    Returns
    -------
    body : torch.nn.Sequential
        The stacked layers.
    n_outputs : int
        Width of the last layer (``n_inputs`` when there is no hidden layer).
    """
    layers = []
    for size in layer_sizes:
        layers += [nn.Linear(n_inputs, size), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        n_inputs = size
    return nn.Sequential(*layers), n_inputs


class Predictor(nn.Module):
    """Binary classifier: an MLP that returns one logit per row.

    Parameters
    ----------
    n_features : int
        Number of encoded input features.
    hidden_layer_sizes : sequence of int, default=(32, 32, 32)
        Width of each hidden ReLU layer.
    dropout : float, default=0.2
        Dropout rate after each hidden layer.
    """

    def __init__(self, n_features, hidden_layer_sizes=(32, 32, 32), dropout=0.2):
        super().__init__()
        self.body, width = _mlp(n_features, hidden_layer_sizes, dropout)
        self.head = nn.Linear(width, 1)

    def forward(self, X):
        """Return the logit of the positive class, shape ``(n_samples,)``."""
        return self.head(self.body(X)).squeeze(-1)


class Adversary(nn.Module):
    """Predict every sensitive attribute from the predictor's output.

    A shared ReLU trunk feeds one softmax head per sensitive attribute, so an
    attribute may have any number of groups.

    Parameters
    ----------
    n_inputs : int
        1 (the predicted probability) for demographic parity; 2 (probability and
        true label) for equalized odds.
    n_groups : sequence of int
        Number of groups of each sensitive attribute.
    layer_sizes : sequence of int, default=(32, 32, 32)
        Width of each hidden layer of the shared trunk.
    """

    def __init__(self, n_inputs, n_groups, layer_sizes=(32, 32, 32)):
        super().__init__()
        self.trunk, width = _mlp(n_inputs, layer_sizes, dropout=0.0)
        self.heads = nn.ModuleList(nn.Linear(width, n) for n in n_groups)

    def forward(self, A):
        """Return a tuple of group logits, one ``(n_samples, n_groups)`` per head."""
        hidden = self.trunk(A)
        return tuple(head(hidden) for head in self.heads)


class AdversaryLoss(nn.Module):
    """Weighted cross-entropy of each adversary head.

    Parameters
    ----------
    group_weights : sequence of array-like
        One weight vector per sensitive attribute, of length its number of groups
        (all ones for the plain cross-entropy).
    """

    def __init__(self, group_weights):
        super().__init__()
        # Buffers follow the net to its device and into pickles.
        for k, weights in enumerate(group_weights):
            self.register_buffer(f"weights_{k}", torch.as_tensor(weights).float())
        self.n_attributes = len(group_weights)

    def forward(self, logits, groups):
        """Return one loss per attribute.

        Parameters
        ----------
        logits : tuple of torch.Tensor
            The adversary's output.
        groups : torch.Tensor of shape (n_samples, n_attributes)
            The integer group code of each row for each attribute.

        Returns
        -------
        losses : list of torch.Tensor
            One scalar per attribute.
        """
        return [
            nn.functional.cross_entropy(
                logits[k], groups[:, k], weight=getattr(self, f"weights_{k}")
            )
            for k in range(self.n_attributes)
        ]
