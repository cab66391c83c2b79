"""How FairGANSampler trains its networks, or takes them from its cache.

A mixin of :class:`~fairsynth.sampler.FairGANSampler`. An interrupted or failed
fit leaves the sampler unfitted.
"""

import warnings

import numpy as np
from sklearn.utils import check_random_state

from ..preprocessing import TabularTokenizer
from ._cache import cached
from ._risky_columns import describe, risky_columns
from ._validation import check_sample_weight

# Parameters that decide which rows are generated, not what the networks learn (and
# verbose and memory, which only print and store): resample takes new values of them
# without training, and the cache of trained networks ignores them.
GENERATION_PARAMS = frozenset(
    {
        "sampling_strategy",
        "parity_strength",
        "boundary_focus",
        "copy_share",
        "label_fairness",
        "verbose",
        "memory",
    }
)


class NetworkFitting:
    """The training side of FairGANSampler."""

    def _fit(self, X, y, sample_weight):
        """Fit; on any error or interrupt, forget every fitted attribute."""
        return self._forget_on_error(self._fit_networks, X, y, sample_weight)

    def _forget_on_error(self, fit, *args):
        """Return ``fit(*args)``; on any error or interrupt, forget what it fitted."""
        try:
            return fit(*args)
        except BaseException:
            for name in set(vars(self)) - set(self._get_param_names()):
                delattr(self, name)
            raise

    def _fit_networks(self, X, y, sample_weight):
        self._rng = check_random_state(self.random_state)
        frame, labels, cell_ids = self._read(X, y, reset=True)
        weights = check_sample_weight(
            sample_weight, cell_ids, list(self.sampling_strategy_)
        )
        self._warn_risky(frame, stacklevel=6)
        features = self._features(frame)
        self.lambda_fair_ = self._resolve_lambda_fair()
        seeds = self._rng.randint(2**31 - 1, size=2).tolist()
        self._fit_ranker(frame, cell_ids)
        self.tokenizer_, self.net_ = cached(
            self.memory,
            (self._training_params(), seeds, frame, labels, weights),
            lambda: self._train(features, cell_ids, seeds, weights),
        )
        self._trained_params = self.get_params(deep=False)
        return frame, labels, cell_ids

    def _training_params(self):
        """Return the parameters that shape the trained networks (the cache key)."""
        return {
            k: v
            for k, v in self.get_params(deep=False).items()
            if k not in GENERATION_PARAMS | {"random_state"}
        }

    def _warn_risky(self, frame, stacklevel):
        """Warn of columns of ``frame`` that a generator should not learn.

        ``stacklevel`` points the warning at the user's call of fit.
        """
        if risky := risky_columns(frame, exclude=self.sensitive_):
            warnings.warn(
                f"Columns a generator should not learn: {describe(risky)}. Generated "
                "rows would repeat real identifiers and text, and such columns cost "
                "memory and time; drop them before fitting "
                f"(X.drop(columns={list(risky)})), or turn dates into numbers.",
                UserWarning,
                stacklevel=stacklevel,
            )

    def _resolve_lambda_fair(self):
        """``lambda_fair``'s weight: "auto" is 0, and so is any with one group."""
        if self.lambda_fair == "auto" or len(self.groups_) == 1:
            return 0.0
        if self.keep_real and self.lambda_fair > 0:
            raise ValueError(
                f"lambda_fair={self.lambda_fair} trains a fairness adversary, which "
                "acts on a fully generated table only: rows added to real ones must "
                "show their group. Pass keep_real=False, or lambda_fair='auto'."
            )
        return float(self.lambda_fair)

    def _train(self, features, cell_ids, seeds, weights):
        """Fit the tokenizer and train the networks; return both."""
        from ._training import join_processes, train_net

        seeds = join_processes(self, seeds)
        self.tokenizer_ = TabularTokenizer(n_bins=self.n_bins, random_state=seeds[0])
        tokens = self.tokenizer_.fit_transform(features)
        group_ids, class_codes = np.divmod(cell_ids, len(self.classes_))
        codes = np.column_stack([self._group_codes[group_ids], class_codes])
        net = train_net(
            self,
            tokens,
            codes,
            group_ids,
            [len(v) for v in self.sensitive_values_],
            seed=seeds[1],
            weights=weights,
        )
        return self.tokenizer_, net
