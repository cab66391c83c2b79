"""FairGANSampler: a transformer FairGAN behind imbalanced-learn's sampler protocol."""

import os
from numbers import Integral, Real

import joblib
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._fitting import NetworkFitting
from ._parquet_fit import ParquetFitting
from ._planning import CellPlanning
from ._resampling import Resampling
from ._rows import RowMaking
from ._saving import ModelFiles
from ._stream import StreamedSampling
from ._twins import CounterfactualTwins
from ._validation import check_n_samples, check_no_fit_params


class FairGANSampler(
    NetworkFitting,
    ParquetFitting,
    CellPlanning,
    Resampling,
    ModelFiles,
    RowMaking,
    CounterfactualTwins,
    StreamedSampling,
    BaseOverSampler,
):
    """Add generated rows so that the training data stops tying outcome to group.

    A transformer over column tokens learns the table given each ``(sensitive
    group, class)`` cell, one column after the other: it is trained by likelihood,
    then against a transformer critic, and with ``lambda_fair`` against a fairness
    adversary that tries to tell the group from generated ``(x, y)`` (FairGAN's)
    when the table is fully generated (``keep_real=False``). The sampler then
    generates rows for the cells that ``sampling_strategy`` grows, favouring rows
    that look like their group's rows of another class (``boundary_focus``), or
    copies real rows of those cells chosen the same way (``copy_share``). Real
    rows are kept unchanged, first and in order; the sensitive columns stay in
    ``X``. See the user guide's page on the generator.

    Parameters
    ----------
    sensitive : str, int, list or None, default=None
        The sensitive column, or a list of them, whose value combinations form the
        groups. Integers index the columns of NumPy input. ``None`` makes a GAN
        class oversampler.
    sampling_strategy : str, float, dict or callable, default="auto"
        Rows each cell should hold after resampling. ``"parity"``: every group takes
        the overall class distribution, adding the fewest rows. ``"balance"``: every
        cell grows to the largest cell. ``"auto"``: ``"parity"`` with a sensitive
        column, else imbalanced-learn's class balancing. A dict
        ``{(group, class): n_rows}`` (group a value, or a tuple of values for
        several columns; ``{class: n_rows}`` without ``sensitive``), or a callable
        ``f(y, groups)`` returning one (``f(y)`` without ``sensitive``). Without
        ``sensitive``, imbalanced-learn's strategies are all accepted.
    parity_strength : float, default=1.0
        How far ``"parity"`` moves each group's class distribution towards the
        overall one: 0 leaves it, 1 reaches it, and above 1 goes past it. Models
        still read the group from features that carry it, so their predictions
        usually need some overshoot to reach parity; tune it with
        :class:`~sklearn.model_selection.GridSearchCV` and a fairness scorer. With
        ``keep_real=False`` it shapes the generated table the same way.
    boundary_focus : float or "auto", default="auto"
        Which rows ``fit_resample`` adds to the real ones: the generator draws
        several candidates per row, and each is kept with a weight
        ``q ** boundary_focus``. ``q`` is the probability that the row belongs to
        its own group but to another class, according to a logistic regression of
        the ``(group, class)`` cell on the non-sensitive columns, fitted to the real
        rows. Such contrary rows (a deprived group's positives that look like its
        negatives) move a group-blind model's boundary where it reads the group
        from other columns, so they do more for fairness than typical rows
        (Kamiran & Calders' preferential sampling), at some cost in accuracy. 0
        keeps the rows as generated.
        ``"auto"`` is 2 for ``"parity"`` (and ``"auto"`` with a sensitive column)
        and 0 for other strategies: those add many rows per cell, and a model
        trained on that many contrary rows loses more accuracy than it gains in
        fairness. ``sample`` and ``keep_real=False`` are never tilted: they stand
        for the data, not for a correction of it.
    copy_share : float, default=0.0
        Share of the rows added to each cell that are copies of the cell's real
        rows instead of generated ones. Copies are drawn with replacement, each
        real row weighing ``q ** boundary_focus`` as a generated candidate does;
        at 1 this is preferential sampling that only adds rows. Copies are as
        realistic as rows can be, so a model cannot learn the correction as "rows
        that look generated": on Adult they traded accuracy for fairness better
        than generated rows (see the Benchmarks page
        :doc:`/benchmarks/generated/fairness`). Generated rows add variety
        instead, and repeat no person's record. Applies to rows added to real
        ones only, not to ``sample`` or ``keep_real=False``; the GAN is trained
        either way.
    keep_real : bool, default=True
        With False, ``fit_resample`` returns a fully generated table as large as
        the input, whose cells follow the strategy's proportions; for "parity"
        each group keeps its size and, at ``parity_strength=1``, the label is
        independent of the group. Its labels follow ``label_fairness``.
    label_fairness : float, default=1.0
        How the fully generated table (``keep_real=False``, two classes, a
        sensitive column) is labelled, FairGAN+'s aim in closed form. Each group's
        generated rows follow its real rows; its positives are the rows of highest
        score ``P(positive | x) + label_fairness * sum_a mu_a P(group a | x)``, as
        many as its cells ask. The probabilities are the generator's (Bayes' rule
        over its cells), and ``mu`` is set on the real rows so that at 1, that
        classifier gives every group the same share of positives on real rows: a
        model trained on the table learns a decision that is fair on real
        people, not just a table without correlation. 0 ranks by
        ``P(positive | x)`` alone; values between trade accuracy for fairness.
        Other tables keep the labels of the cells their rows were generated in.
    lambda_fair : float or "auto", default="auto"
        Weight of a fairness adversary's penalty on the generator (FairGAN's
        second discriminator, which tells the group from generated ``(x, y)``),
        for a fully generated table only. ``"auto"`` is 0, nowhere on: hiding
        the group in generated rows did not make models trained on them fairer
        on real rows, which still carry it (on Adult, the demographic-parity
        difference of such a model rose from 0.13 to 0.31; see the Benchmarks
        page :doc:`/benchmarks/log`), and ``label_fairness`` does that job. A
        positive weight with ``keep_real=True`` is refused: rows added to real
        ones must carry their group's features to counter the real rows'.
        ``lambda_fair_`` is the weight trained with.
    epochs : int or "auto", default="auto"
        Most passes over the data in the likelihood phase; ``"auto"`` gives at
        least 3,000 training steps (at most 300 passes). Training stops earlier
        once ``n_iter_no_change`` passes bring no better likelihood on the
        validation rows.
    batch_size : int or "auto", default="auto"
        Rows per training batch; ``"auto"`` is a 32nd of the training rows, from
        32 to 512.
    lr : float, default=2e-3
        Peak Adam learning rate of the generator (after a warm-up, it follows a
        cosine down to 0), and the learning rate of the critic and adversary.
    d_model : int, default=64
        Width of the column tokens.
    n_heads : int, default=4
        Attention heads; must divide ``d_model``.
    n_layers : int, default=1
        Transformer blocks in the generator and in the critic.
    dim_feedforward : int, default=128
        Hidden width of the blocks' feed-forward layers.
    dropout : float, default=0.1
        Dropout in the generator's transformer blocks while it trains.
    n_bins : int, default=100
        Numeric columns with at most this many distinct values are generated
        exactly; others as about this many quantile bins (see
        :class:`~fairsynth.preprocessing.TabularTokenizer`).
    validation_fraction : float, default=0.1
        Share of every cell's rows held out to choose the best pass and to stop
        training; 0 trains all ``epochs`` passes on every row.
    n_iter_no_change : int, default=5
        Passes without a better validation likelihood before training stops.
    adversarial_epochs : int, default=1
        Passes, after the likelihood phase, in which the generator also plays
        against the critic (and the fairness adversary, with ``lambda_fair``).
    critic_weight : float, default=1.0
        Weight of the critic's score against the likelihood in those passes.
    adversary_hidden : int, default=64
        Hidden width of the fairness adversary.
    critic_steps : int, default=1
        Critic updates per generator update, each on a fresh real batch.
    adversary_steps : int, default=5
        Fairness-adversary updates per generator update (when it trains), each on
        freshly generated rows; a single one lets the generator hide the group
        from that adversary alone.
    gp_weight : float, default=10.0
        Weight of the critic's gradient penalty.
    tau : float, default=0.5
        Gumbel-softmax temperature of the generator's draws against the critic.
    average_decay : float, default=0.995
        Decay of the moving average of the generator's weights that rows are
        sampled from (it starts short, so that it soon leaves the initial
        weights); 0 samples from the last weights, which vary more.
    memory : str, path-like, joblib.Memory or None, default=None
        Folder where trained networks are kept and reused: a fit whose data, sample
        weights, training parameters and seeds match an earlier one's loads its
        networks instead of training. Parameters that only choose rows
        (``sampling_strategy``, ``parity_strength``, ``boundary_focus``,
        ``copy_share``, ``label_fairness``) are not part of the match, so a
        ``GridSearchCV`` over them trains once per fold, with any ``n_jobs``.
        Needs an int ``random_state`` (None draws new seeds every fit, so
        nothing matches). Entries are pickles, as in scikit-learn's
        ``Pipeline(memory=...)``: use a folder only you write. None trains every
        time.
    device : str, default="auto"
        Torch device; ``"auto"`` picks CUDA when it is available.
    random_state : int, RandomState instance or None, default=None
        Seeds training and sampling. With an int or a RandomState, the global numpy
        and torch generators are left as they were; None draws the seeds from
        numpy's global generator, as scikit-learn estimators do.
    verbose : int, default=0
        1 prints a progress bar and a table of losses per epoch.

    Attributes
    ----------
    sampling_strategy_ : dict
        Rows added per cell, copies included, ``{(group, class): n}``
        (``{class: n}`` without a sensitive column), as in imbalanced-learn.
    cell_counts_ : pandas.DataFrame
        Per cell: the real rows, the copies of them and the generated rows the
        strategy adds, and the total.
    resample_cell_counts_ : pandas.DataFrame
        ``cell_counts_`` of the last :meth:`resample`, which leaves the fitted
        ones as they are. Set by ``resample`` only.
    row_origin_ : ndarray of str
        Where each row of the last table :meth:`fit_resample` or
        :meth:`resample` returned comes from: ``"real"``, ``"copied"`` (a copy
        of a real row) or ``"generated"``. Not set by :meth:`fit` alone.
    classes_ : ndarray
        Class labels.
    groups_ : list
        Sensitive groups: values, or tuples of values with several columns.
    sensitive_ : list
        The sensitive columns.
    lambda_fair_ : float
        The fairness adversary's weight the generator trained with.
    sensitive_values_ : list of ndarray
        The values each sensitive column takes, in the order of ``sensitive_``.
    tokenizer_ : TabularTokenizer
        The tokens of the non-sensitive columns, which the generator writes.
    net_ : fairsynth.gan.FairGANNet
        The trained skorch net; ``net_.history`` holds the losses.
    n_features_in_, feature_names_in_
        As in scikit-learn.

    Examples
    --------
    >>> from fairsynth import FairGANSampler
    >>> from fairsynth.datasets import make_biased_classification
    >>> X, y = make_biased_classification(300, random_state=0)
    >>> sampler = FairGANSampler(sensitive="group", epochs=1, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> len(X_res) == sampler.cell_counts_["n_total"].sum()
    True
    """

    _parameter_constraints = {
        "sensitive": [None, str, Integral, list, tuple],
        "sampling_strategy": [
            StrOptions(
                {
                    "auto",
                    "parity",
                    "balance",
                    "minority",
                    "not minority",
                    "not majority",
                    "all",
                }
            ),
            Interval(Real, 0, 1, closed="right"),
            dict,
            callable,
        ],
        "parity_strength": [Interval(Real, 0, None, closed="left")],
        "boundary_focus": [
            StrOptions({"auto"}),
            Interval(Real, 0, None, closed="left"),
        ],
        "copy_share": [Interval(Real, 0, 1, closed="both")],
        "keep_real": ["boolean"],
        "label_fairness": [Interval(Real, 0, None, closed="left")],
        "lambda_fair": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "epochs": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 2, None, closed="left"),
        ],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "d_model": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "dim_feedforward": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "adversarial_epochs": [Interval(Integral, 0, None, closed="left")],
        "critic_weight": [Interval(Real, 0, None, closed="left")],
        "adversary_hidden": [Interval(Integral, 1, None, closed="left")],
        "critic_steps": [Interval(Integral, 1, None, closed="left")],
        "adversary_steps": [Interval(Integral, 1, None, closed="left")],
        "gp_weight": [Interval(Real, 0, None, closed="left")],
        "tau": [Interval(Real, 0, None, closed="neither")],
        "average_decay": [Interval(Real, 0, 1, closed="left")],
        "memory": [None, str, os.PathLike, joblib.Memory],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        sensitive=None,
        sampling_strategy="auto",
        parity_strength=1.0,
        boundary_focus="auto",
        copy_share=0.0,
        keep_real=True,
        label_fairness=1.0,
        lambda_fair="auto",
        epochs="auto",
        batch_size="auto",
        lr=2e-3,
        d_model=64,
        n_heads=4,
        n_layers=1,
        dim_feedforward=128,
        dropout=0.1,
        n_bins=100,
        validation_fraction=0.1,
        n_iter_no_change=5,
        adversarial_epochs=1,
        critic_weight=1.0,
        adversary_hidden=64,
        critic_steps=1,
        adversary_steps=5,
        gp_weight=10.0,
        tau=0.5,
        average_decay=0.995,
        memory=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.sensitive = sensitive
        self.sampling_strategy = sampling_strategy
        self.parity_strength = parity_strength
        self.boundary_focus = boundary_focus
        self.copy_share = copy_share
        self.keep_real = keep_real
        self.label_fairness = label_fairness
        self.lambda_fair = lambda_fair
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.d_model = d_model
        self.n_heads = n_heads
        self.n_layers = n_layers
        self.dim_feedforward = dim_feedforward
        self.dropout = dropout
        self.n_bins = n_bins
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.adversarial_epochs = adversarial_epochs
        self.critic_weight = critic_weight
        self.adversary_hidden = adversary_hidden
        self.critic_steps = critic_steps
        self.adversary_steps = adversary_steps
        self.gp_weight = gp_weight
        self.tau = tau
        self.average_decay = average_decay
        self.memory = memory
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ----------------------------------------------------------------- public API
    def fit(self, X, y, **params):
        """Learn the table, cell by cell, and work out the cell targets.

        An interrupt (Ctrl-C) or an error leaves the sampler unfitted, never
        partly trained.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features, sensitive columns included. Mixed types and missing values
            are fine in the non-sensitive columns.
        y : array-like of shape (n_samples,)
            Class labels.
        **params : dict
            ``sample_weight`` only, an array-like of shape (n_samples,): row
            weights. The generator's training batches draw each row of a cell in
            proportion to its weight, and each cell's share of the batches counts
            weights, not rows; the rows added per cell still count rows. (It is
            not a named parameter so that a Pipeline's metadata routing asks for
            one request only, :meth:`fit_resample`'s.)

        Returns
        -------
        self : FairGANSampler
            The fitted sampler.
        """
        sample_weight = params.pop("sample_weight", None)
        check_no_fit_params("fit", params)
        self._validate_params()
        self._fit(X, y, sample_weight)
        return self

    def fit_resample(self, X, y, *, sample_weight=None, **params):
        """Fit, then return the real rows followed by the added ones.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features, sensitive columns included.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights for training the generator, as in :meth:`fit`. With
            scikit-learn's metadata routing on, a Pipeline routes it here after
            ``set_fit_resample_request(sample_weight=True)``.
        **params : dict
            Refused with a message: nothing else is taken.

        Returns
        -------
        X_resampled : same type as X
            Real rows, unchanged and in order (with a fresh RangeIndex for
            DataFrames), then the copies of real rows (``copy_share``), then the
            generated rows. Only generated rows when ``keep_real=False``.
        y_resampled : same type as y
            Their labels.
        """
        check_no_fit_params("fit_resample", params)
        self._validate_params()
        return self._resample(*self._fit(X, y, sample_weight))

    def _fit_resample(self, X, y, **params):
        # imbalanced-learn's protocol; fit_resample does its own checks.
        return self.fit_resample(X, y, **params)

    def sample(self, n_samples, *, groups=None, y=None):
        """Generate rows only.

        Parameters
        ----------
        n_samples : int
            Number of rows.
        groups : dict, default=None
            Sensitive values every row must have, e.g. ``{"sex": "Female"}``. Other
            sensitive columns follow their real shares.
        y : label, default=None
            The class every row must have.

        Returns
        -------
        X_new, y_new : the types of the X and y given to fit
            With no ``groups`` and ``y``, cells follow the fair joint distribution:
            real group sizes, and the overall class distribution in every group.
        """
        check_is_fitted(self, "net_")
        check_n_samples(n_samples)
        return self._restore(*self._generate(self._fair_cells(n_samples, groups, y)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.sparse = False
        tags.non_deterministic = self.random_state is None
        return tags
