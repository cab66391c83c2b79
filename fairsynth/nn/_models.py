"""The generator, critic and fairness adversary of the FairGAN.

A row is one token per column (see :class:`fairsynth.preprocessing.TabularTokenizer`);
``vocab_sizes`` gives each column's number of tokens. The critic and the adversary
read a row as the concatenated one-hot vectors of its tokens.
"""

import torch
from torch import nn
from torch.nn import functional as F

from ._layers import BlockDiagonalLinear, ConditionEmbedding, TransformerStack


class Generator(nn.Module):
    """Autoregressive transformer over column tokens, given a conditioning cell.

    Position 0 holds the cell's embedding and position ``j`` the embedding of
    column ``j - 1``'s token, each with the cell's embedding added; the output at
    position ``j`` predicts column ``j`` through a head of its own. Causal
    attention lets it learn ``p(row | cell)`` exactly, column by column, so it is
    trained by likelihood and sampled one column at a time.

    Parameters
    ----------
    vocab_sizes : sequence of int
        Number of tokens of each column.
    cardinalities : sequence of int
        Number of values of each conditioning variable (each sensitive column,
        then the label).
    d_model, n_heads, n_layers, dim_feedforward : int
        Transformer sizes.
    dropout : float, default=0.0
        Dropout in the transformer blocks while training.
    allowed : array-like of bool, shape (sum(cardinalities), sum(vocab_sizes))
        Whether each token may appear with each conditioning value (variable
        ``k``'s value ``v`` is row ``sum(cardinalities[:k]) + v``); a token is
        drawn only if every value of its row's cell allows it. None allows all.

    Examples
    --------
    Two columns of 3 and 5 tokens, given a group (2 values) and a class (2):

    >>> import torch
    >>> from fairsynth.nn import Generator
    >>> generator = Generator(
    ...     [3, 5], [2, 2], d_model=8, n_heads=2, n_layers=1, dim_feedforward=16
    ... )
    >>> codes = torch.tensor([[0, 1], [1, 0]])
    >>> generator.log_likelihood(torch.tensor([[2, 4], [0, 1]]), codes).shape
    torch.Size([2])

    Sampling maps each row's uniforms to tokens, so the same uniforms give the
    same row:

    >>> uniforms = torch.rand(2, 2)
    >>> with torch.no_grad():
    ...     rows = generator.sample(codes, uniforms)
    ...     again = generator.sample(codes, uniforms)
    >>> rows.shape, torch.equal(rows, again)
    (torch.Size([2, 2]), True)
    """

    def __init__(
        self,
        vocab_sizes,
        cardinalities,
        *,
        d_model,
        n_heads,
        n_layers,
        dim_feedforward,
        dropout=0.0,
        allowed=None,
    ):
        super().__init__()
        self.vocab_sizes = list(vocab_sizes)
        if allowed is None:
            allowed = torch.ones(sum(cardinalities), sum(self.vocab_sizes))
        self.register_buffer("allowed", torch.as_tensor(allowed, dtype=torch.bool))
        code_starts = torch.tensor([0, *cardinalities[:-1]]).cumsum(0)
        self.register_buffer("code_starts", code_starts, persistent=False)
        self.condition = ConditionEmbedding(cardinalities, d_model)
        self.token_embedding = nn.Embedding(sum(self.vocab_sizes), d_model)
        starts = torch.tensor([0, *self.vocab_sizes[:-1]]).cumsum(0)
        self.register_buffer("starts", starts, persistent=False)
        self.position = nn.Parameter(0.02 * torch.randn(len(self.vocab_sizes), d_model))
        self.transformer = TransformerStack(
            d_model, n_heads, n_layers, dim_feedforward, dropout=dropout, causal=True
        )
        self.heads = nn.ModuleList(nn.Linear(d_model, v) for v in self.vocab_sizes)

    def forward(self, tokens, codes):
        """Logits of each column given the columns before it and the cell.

        Returns a list with one tensor of shape (batch, vocab_sizes[j]) per column.
        """
        condition = self.condition(codes)[:, None]
        previous = self.token_embedding(tokens[:, :-1] + self.starts[:-1])
        inputs = torch.cat([torch.zeros_like(condition), previous], 1)
        hidden = self.transformer(inputs + self.position + condition)
        blocked = self.blocked_tokens(codes)
        return [
            masked(head(hidden[:, j]), blocked[j]) for j, head in enumerate(self.heads)
        ]

    def blocked_tokens(self, codes):
        """Each column's tokens that each row's cell rules out, (batch, vocab).

        One mask per column, or None for a column whose tokens every cell
        allows, so that it costs nothing where nothing is ruled out.
        """
        rows = codes + self.code_starts
        return [
            None if allowed.all() else ~allowed[rows].all(dim=1)
            for allowed in self.allowed.split(self.vocab_sizes, dim=1)
        ]

    def log_likelihood(self, tokens, codes):
        """``log p(row | cell)`` of each row, shape (batch,)."""
        logits = self(tokens, codes)
        return -sum(
            F.cross_entropy(column, tokens[:, j], reduction="none")
            for j, column in enumerate(logits)
        )

    def sample(self, codes, uniforms):
        """Draw tokens column by column, shape (batch, n_columns).

        Column ``j``'s token is where ``uniforms[:, j]`` falls in the cumulative
        distribution the generator gives it: the uniforms are the row's latent,
        and the same uniforms with another cell give that cell's version of it.
        """
        by_column = uniforms.T.contiguous()

        def inverse_cdf(j, logits):
            cumulative = torch.softmax(logits, dim=1).cumsum_(dim=1)
            token = torch.searchsorted(cumulative, by_column[j, :, None])[:, 0]
            token = token.clamp_(max=self.vocab_sizes[j] - 1)
            return token, self.token_embedding(token + self.starts[j])

        return torch.stack(self._decode(codes, inverse_cdf), dim=1)

    def encode(self, tokens, codes):
        """Return the uniforms that :meth:`sample` maps to ``tokens``, one per token.

        Column ``j``'s uniform is the middle of the interval its token takes in
        the cumulative distribution the generator gives it, given the row's
        earlier columns and its cell: ``sample(codes, encode(tokens, codes))``
        gives ``tokens`` back. This is the row's latent; decoding it with
        another cell gives the row's counterfactual in that cell.
        """
        columns = []
        for j, logits in enumerate(self(tokens, codes)):
            probabilities = torch.softmax(logits, dim=1)
            token = tokens[:, j, None]
            upper = probabilities.cumsum(dim=1).gather(1, token)
            columns.append(upper - probabilities.gather(1, token) / 2)
        return torch.cat(columns, dim=1)

    def counterfactual(
        self, tokens, codes, twin_codes, *, proximity=0.0, generator=None
    ):
        """Return each row as it would be in the cell ``twin_codes``.

        A Gumbel-max counterfactual (Oberst and Sontag, 2019): each column's
        token is read as the argmax of its log-probabilities plus Gumbel noise;
        the noise is drawn from its posterior given the row's token in its own
        cell, then added to the twin cell's log-probabilities, column by column.
        A token stays unless the change makes another token more likely
        relative to it, so twins change no more than the cell change asks.
        ``proximity`` adds a bonus to keeping each token, for twins nearer
        their rows than the generator's own counterfactual.

        Parameters
        ----------
        tokens : LongTensor of shape (batch, n_columns)
            The rows.
        codes, twin_codes : LongTensor of shape (batch, n_conditions)
            The rows' cells, and the cells of their twins.
        proximity : float, default=0.0
            Added to the log-probability of each column's token, in the twin
            cell, when it is the row's own: with 0 the twin follows the
            generator; the larger, the more of the row a twin keeps. A token the
            twin cell rules out is never kept.
        generator : torch.Generator, default=None
            Draws the noise.

        Returns
        -------
        LongTensor of shape (batch, n_columns)
            The twins' tokens.
        """
        noise = [
            posterior_gumbel_noise(
                torch.log_softmax(logits, dim=1), tokens[:, j], generator
            )
            for j, logits in enumerate(self(tokens, codes))
        ]

        def gumbel_max(j, logits):
            scores = torch.log_softmax(logits, dim=1) + noise[j]
            own = scores.gather(1, tokens[:, j, None]) + proximity
            token = scores.scatter(1, tokens[:, j, None], own).argmax(dim=1)
            return token, self.token_embedding(token + self.starts[j])

        return torch.stack(self._decode(twin_codes, gumbel_max), dim=1)

    def sample_relaxed(self, codes, *, tau):
        """Draw one-hot rows that gradients flow back through, (batch, sum(vocab)).

        Each column is a straight-through Gumbel-softmax draw: one-hot forward,
        the gradient of a softmax at temperature ``tau`` backward, and the next
        column reads the draw's embedding, so a critic's gradient reaches every
        column's choice.
        """

        def straight_through(j, logits):
            one_hot = F.gumbel_softmax(logits, tau=tau, hard=True)
            start = int(self.starts[j])
            weight = self.token_embedding.weight[start : start + one_hot.shape[1]]
            return one_hot, one_hot @ weight

        return torch.cat(self._decode(codes, straight_through), dim=1)

    def _decode(self, codes, choose):
        """Run the columns one at a time; ``choose(j, logits)`` picks column ``j``.

        ``choose`` returns the column's draw and the embedding the next position
        reads. Returns the list of draws.
        """
        condition, blocked = self.condition(codes), self.blocked_tokens(codes)
        caches = self.transformer.caches(len(self.vocab_sizes))
        token, draws = condition + self.position[0], []
        for j, head in enumerate(self.heads):
            logits = masked(head(self.transformer.step(token, caches)), blocked[j])
            draw, embedding = choose(j, logits)
            draws.append(draw)
            if j + 1 < len(self.heads):
                token = embedding + self.position[j + 1] + condition
        return draws


def masked(logits, blocked):
    """``logits`` with the tokens ``blocked`` rules out at -inf (None: none)."""
    return logits if blocked is None else logits.masked_fill(blocked, -torch.inf)


def posterior_gumbel_noise(log_probabilities, observed, generator=None):
    """Draw Gumbel noise whose argmax with ``log_probabilities`` is ``observed``.

    The maximum of ``log_probabilities + G`` follows a standard Gumbel; it is drawn
    first and given to the observed token, and every other token's perturbed value
    is a Gumbel with its location truncated below that maximum. Tokens ruled out
    (``-inf``) keep unconditioned noise, as they constrain nothing. Returns the
    noise, shape (batch, vocab).
    """
    uniforms = torch.rand(
        (2, *log_probabilities.shape),
        generator=generator,
        device=log_probabilities.device,
    ).clamp_(min=torch.finfo(log_probabilities.dtype).tiny)
    gumbels = -torch.log(-torch.log(uniforms))
    top = gumbels[0, :, :1]
    perturbed = log_probabilities + gumbels[1]
    # A Gumbel at location lp truncated below top: -log(exp(-top) + exp(-(lp + G))).
    truncated = -torch.logaddexp(-top, -perturbed)
    truncated = truncated.scatter(1, observed[:, None], top)
    noise = truncated - log_probabilities
    return torch.where(torch.isfinite(log_probabilities), noise, gumbels[1])


class Critic(nn.Module):
    """Transformer critic scoring how real a row is within its cell.

    Each column's one-hot block becomes a token; a condition token is prepended
    and its final state gives the score, as a class token would.

    Parameters
    ----------
    vocab_sizes : sequence of int
        Number of tokens of each column, the width of its one-hot block.
    cardinalities : sequence of int
        Number of values of each conditioning variable.
    d_model, n_heads, n_layers, dim_feedforward : int
        Transformer sizes.

    Examples
    --------
    >>> import torch
    >>> from fairsynth.nn import Critic
    >>> critic = Critic(
    ...     [3, 5], [2, 2], d_model=8, n_heads=2, n_layers=1, dim_feedforward=16
    ... )
    >>> rows = torch.zeros(4, 8)  # the one-hot blocks of both columns
    >>> critic(rows, torch.zeros(4, 2, dtype=torch.long)).shape
    torch.Size([4])
    """

    def __init__(
        self, vocab_sizes, cardinalities, *, d_model, n_heads, n_layers, dim_feedforward
    ):
        super().__init__()
        n_tokens = len(vocab_sizes)
        self.tokenizer = BlockDiagonalLinear(vocab_sizes, [d_model] * n_tokens)
        self.column_embedding = nn.Parameter(0.02 * torch.randn(n_tokens, d_model))
        self.condition = ConditionEmbedding(cardinalities, d_model)
        self.transformer = TransformerStack(d_model, n_heads, n_layers, dim_feedforward)
        self.score = nn.Linear(d_model, 1)

    def forward(self, x, codes):
        """Critic score per row, shape (batch,)."""
        tokens = self.tokenizer(x).unflatten(1, self.column_embedding.shape)
        condition = self.condition(codes)[:, None]
        tokens = torch.cat([condition, tokens + self.column_embedding], 1)
        return self.score(self.transformer(tokens)[:, 0]).squeeze(-1)


def mlp(n_inputs, n_outputs, hidden):
    """Two hidden layers of width ``hidden`` with leaky ReLUs."""
    return nn.Sequential(
        nn.Linear(n_inputs, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, n_outputs),
    )


class FairnessAdversary(nn.Module):
    """Predict the sensitive group of a row from its features and label.

    Parameters
    ----------
    n_features : int
        Width of the one-hot rows.
    n_classes : int
        Number of label values, given to the adversary one-hot.
    n_groups : int
        Number of sensitive groups (intersections when there are several columns).
    hidden : int
        Width of the two hidden layers.

    Examples
    --------
    >>> import torch
    >>> from fairsynth.nn import FairnessAdversary
    >>> adversary = FairnessAdversary(n_features=8, n_classes=2, n_groups=3, hidden=16)
    >>> adversary(torch.zeros(4, 8), torch.tensor([0, 1, 1, 0])).shape
    torch.Size([4, 3])
    """

    def __init__(self, n_features, n_classes, n_groups, *, hidden):
        super().__init__()
        self.n_classes, self.n_groups = n_classes, n_groups
        self.mlp = mlp(n_features + n_classes, n_groups, hidden)

    def forward(self, x, label):
        """Group logits, shape (batch, n_groups)."""
        one_hot = torch.nn.functional.one_hot(label, self.n_classes).to(x.dtype)
        return self.mlp(torch.cat([x, one_hot], 1))
