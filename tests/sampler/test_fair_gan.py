import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from _helpers import TINY_GAN
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from fairsynth import FairGANSampler
from fairsynth.datasets import make_biased_classification
from fairsynth.sampler import _strategy as strategy


def tiny_sampler(**params):
    """A sampler whose networks train in well under a second."""
    return FairGANSampler(**{**TINY_GAN, **params})


@pytest.fixture(scope="module")
def biased():
    return make_biased_classification(300, bias=0.6, missing_rate=0.05, random_state=0)


@pytest.fixture(scope="module")
def fitted(biased):
    """One parity sampler and its resampled output, shared by a test module."""
    X, y = biased
    sampler = tiny_sampler(sensitive="group")
    X_res, y_res = sampler.fit_resample(X, y)
    return sampler, X_res, y_res


def cell_sizes(X, y, sensitive):
    return pd.concat([X[sensitive], y], axis=1).value_counts().sort_index()


# ------------------------------------------------------------------ resampling
def test_real_rows_come_first_unchanged(biased, fitted):
    X, y = biased
    _, X_res, y_res = fitted
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X.reset_index(drop=True))
    pd.testing.assert_series_equal(y_res.iloc[: len(y)], y.reset_index(drop=True))


def test_dtypes_and_categories_preserved(biased, fitted):
    X, y = biased
    _, X_res, y_res = fitted
    pd.testing.assert_series_equal(X_res.dtypes, X.dtypes)
    assert y_res.name == y.name and y_res.dtype == y.dtype
    generated = X_res.iloc[len(X) :]
    assert (generated["count"] >= X["count"].min()).all()
    assert (generated["count"] <= X["count"].max()).all()
    assert generated["num_0"].dropna().between(X["num_0"].min(), X["num_0"].max()).all()


def test_parity_counts_are_exact(biased, fitted):
    X, y = biased
    sampler, X_res, y_res = fitted
    sizes = cell_sizes(X_res, y_res, "group")
    expected = sampler.cell_counts_.set_index(["group", "class"])["n_total"]
    np.testing.assert_array_equal(sizes.to_numpy(), expected.sort_index().to_numpy())
    assert sampler.cell_counts_["n_real"].sum() == len(X)
    rates = y_res.groupby(X_res["group"], observed=True).mean()
    assert rates.max() - rates.min() < 0.01
    assert abs(rates.iloc[0] - y.mean()) < 0.01


def test_parity_adds_the_fewest_rows(fitted):
    sampler, _, _ = fitted
    counts = sampler.cell_counts_
    # In every group one class is already at its share and gains no rows.
    assert (counts.groupby("group")["n_generated"].min() == 0).all()
    assert sum(sampler.sampling_strategy_.values()) == counts["n_generated"].sum()
    assert (counts["n_copied"] == 0).all()


@pytest.mark.parametrize("strength", [0.0, 0.5, 2.0])
def test_parity_strength_moves_group_rates_past_parity(biased, strength):
    X, y = biased
    sampler = tiny_sampler(sensitive="group", parity_strength=strength).fit(X, y)
    counts = sampler.cell_counts_.set_index(["group", "class"])
    own = y.groupby(X["group"], observed=True).mean()
    total = counts["n_total"].unstack()
    rates = total[1] / total.sum(axis=1)
    # Each group's positive rate lies `strength` of the way to the overall rate,
    # up to the rounding of its cells.
    np.testing.assert_allclose(rates, own + strength * (y.mean() - own), atol=0.01)
    assert (counts.groupby("group")["n_generated"].min() == 0).all()


def test_parity_targets_with_a_class_missing_from_a_group():
    counts = np.array([[10, 0], [30, 20]])
    np.testing.assert_array_equal(strategy.parity_targets(counts, 0.0), counts)
    np.testing.assert_array_equal(
        strategy.parity_targets(counts, 1.0), [[10, 5], [40, 20]]
    )


def test_split_cells_covers_every_row_in_bounded_chunks():
    cells = np.array([[5, 0], [3, 7]])
    parts = list(strategy.split_cells(cells, 4))
    assert [part.sum() for part in parts] == [4, 4, 4, 3]
    np.testing.assert_array_equal(sum(parts), cells)
    assert list(strategy.split_cells(np.zeros((2, 2), dtype=int), 4)) == []


@pytest.mark.parametrize("focus", [0.0, 2.0])
def test_chunked_generation_keeps_exact_counts(biased, monkeypatch, focus):
    import fairsynth.sampler._rows as rows

    monkeypatch.setattr(rows, "GENERATED_CHUNK_ROWS", 70)
    X, y = biased
    sampler = tiny_sampler(
        sensitive="group", sampling_strategy="balance", boundary_focus=focus
    )
    X_res, y_res = sampler.fit_resample(X, y)
    assert (cell_sizes(X_res, y_res, "group") == cell_sizes(X, y, "group").max()).all()
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X.reset_index(drop=True))


def test_resample_reuses_the_trained_networks(biased):
    X, y = biased
    X_ref, y_ref = tiny_sampler(sensitive="group", random_state=3).fit_resample(X, y)
    sampler = tiny_sampler(sensitive="group", random_state=3).fit(X, y)
    net = sampler.net_
    X_res, y_res = sampler.resample(X, y)
    pd.testing.assert_frame_equal(X_res, X_ref)
    pd.testing.assert_series_equal(y_res, y_ref)

    sampler.set_params(sampling_strategy="balance", boundary_focus=1.0)
    X_res, y_res = sampler.resample(X, y)
    assert sampler.net_ is net and sampler._ranker is not None
    assert (cell_sizes(X_res, y_res, "group") == cell_sizes(X, y, "group").max()).all()
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X.reset_index(drop=True))


@pytest.mark.parametrize("share", [0.5, 1.0])
def test_copy_share_adds_copies_of_the_cells_real_rows(biased, share):
    X, y = biased
    sampler = tiny_sampler(sensitive="group", parity_strength=1.5).fit(X, y)
    X_ref, y_ref = sampler.resample(X, y)
    sampler.set_params(copy_share=share)
    X_res, y_res = sampler.resample(X, y)
    counts = sampler.resample_cell_counts_
    added = counts["n_copied"] + counts["n_generated"]
    np.testing.assert_array_equal(counts["n_copied"], np.rint(share * added))
    # The same cells, as large as without copies.
    pd.testing.assert_series_equal(
        cell_sizes(X_res, y_res, "group"), cell_sizes(X_ref, y_ref, "group")
    )
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X.reset_index(drop=True))
    # Each copy is a real row with its own label, of a cell that grows.
    n_copied = counts["n_copied"].sum()
    copies = pd.concat([X_res, y_res], axis=1).iloc[len(X) : len(X) + n_copied]
    real = pd.concat([X, y], axis=1).drop_duplicates()
    found = copies.merge(real, how="left", indicator=True)["_merge"]
    assert n_copied > 0 and (found == "both").all()
    np.testing.assert_array_equal(
        sampler.row_origin_,
        ["real"] * len(X) + ["copied"] * n_copied
        + ["generated"] * int(counts["n_generated"].sum()),
    )  # fmt: skip
    grown = counts.loc[counts["n_copied"] > 0, ["group", "class"]]
    assert set(map(tuple, copies[["group", y.name]].to_numpy())) == set(
        map(tuple, grown.to_numpy())
    )
    assert (share < 1) == (counts["n_generated"].sum() > 0)


def test_resample_refuses_what_needs_training(biased, fitted):
    X, y = biased
    sampler = clone(fitted[0]).fit(X, y)
    with pytest.raises(NotFittedError):
        tiny_sampler(sensitive="group").resample(X, y)
    with pytest.raises(ValueError, match=r"\['epochs'\] changed since fit"):
        clone(sampler).set_params(epochs=2).fit(X, y).set_params(epochs=3).resample(
            X, y
        )
    new_group = X.assign(group=X["group"].astype(str).where(X.index >= 10, "new"))
    with pytest.raises(ValueError, match="classes and groups seen in fit"):
        sampler.resample(new_group, y)


def test_parity_strength_too_large_says_the_limit(biased):
    with pytest.raises(ValueError, match="must stay below"):
        tiny_sampler(sensitive="group", parity_strength=50.0).fit(*biased)


def test_balance_grows_every_cell_to_the_largest(biased):
    X, y = biased
    X_res, y_res = tiny_sampler(
        sensitive="group", sampling_strategy="balance"
    ).fit_resample(X, y)
    sizes = cell_sizes(X_res, y_res, "group")
    assert (sizes == cell_sizes(X, y, "group").max()).all()


def test_dict_and_callable_strategies(biased):
    X, y = biased
    group = X["group"].cat.categories[0]
    current = int(((X["group"] == group) & (y == 1)).sum())
    strategy = {(group, 1): current + 17}
    X_res, y_res = tiny_sampler(
        sensitive="group", sampling_strategy=strategy
    ).fit_resample(X, y)
    assert len(X_res) == len(X) + 17
    assert cell_sizes(X_res, y_res, "group")[(group, 1)] == current + 17

    def callable_strategy(labels, groups):
        assert len(labels) == len(groups) == len(X)
        return strategy

    X_call, _ = tiny_sampler(
        sensitive="group", sampling_strategy=callable_strategy
    ).fit_resample(X, y)
    assert len(X_call) == len(X) + 17


def test_fully_generated_table_is_fair(biased):
    X, y = biased
    sampler = tiny_sampler(sensitive="group", keep_real=False)
    X_res, y_res = sampler.fit_resample(X, y)
    assert len(X_res) == len(X) and (sampler.row_origin_ == "generated").all()
    # Each group keeps its size; the label rate is the overall one in every group.
    pd.testing.assert_series_equal(
        X_res["group"].value_counts().sort_index(),
        X["group"].value_counts().sort_index(),
        atol=1,
    )
    rates = y_res.groupby(X_res["group"], observed=True).mean()
    assert rates.max() - rates.min() <= 2 / X["group"].value_counts().min()


def test_intersectional_groups():
    X, y = make_biased_classification(400, n_groups=[2, 3], bias=0.5, random_state=1)
    sensitive = ["group_0", "group_1"]
    sampler = tiny_sampler(sensitive=sensitive, sampling_strategy="balance")
    X_res, y_res = sampler.fit_resample(X, y)
    assert len(sampler.groups_) == 6 and all(
        isinstance(g, tuple) for g in sampler.groups_
    )
    sizes = cell_sizes(X_res, y_res, sensitive)
    assert sizes.nunique() == 1 and len(sizes) == 12
    rows = sampler.sample(30, groups={"group_1": "g2"}, y=0)[0]
    assert (rows["group_1"] == "g2").all()


def test_class_oversampler_without_sensitive(biased):
    X, y = biased
    sampler = tiny_sampler()
    X_res, y_res = sampler.fit_resample(X, y)
    assert y_res.value_counts().nunique() == 1
    assert set(sampler.sampling_strategy_) == {0, 1}
    X_res, y_res = tiny_sampler(sampling_strategy={0: 200, 1: 200}).fit_resample(X, y)
    assert (y_res.value_counts() == 200).all()


def test_numpy_in_numpy_out(biased):
    X, y = biased
    array = X.to_numpy()
    X_res, y_res = tiny_sampler(sensitive=0).fit_resample(array, y.to_numpy())
    assert isinstance(X_res, np.ndarray) and X_res.dtype == object
    assert isinstance(y_res, np.ndarray) and y_res.dtype == y.dtype
    np.testing.assert_array_equal(X_res[: len(X), 4], array[:, 4])
    assert set(X_res[:, 0]) == set(array[:, 0])


# ------------------------------------------------------------------ sampling
def test_sample_fixes_group_and_label(fitted):
    sampler, _, _ = fitted
    X_new, y_new = sampler.sample(50, groups={"group": "g1"}, y=0)
    assert len(X_new) == 50 and (X_new["group"] == "g1").all() and (y_new == 0).all()


def test_sample_defaults_to_the_fair_joint(biased, fitted):
    X, y = biased
    sampler, _, _ = fitted
    X_new, y_new = sampler.sample(600)
    assert len(X_new) == 600
    rates = y_new.groupby(X_new["group"], observed=True).mean()
    assert rates.max() - rates.min() < 0.01
    shares = X_new["group"].value_counts(normalize=True).sort_index()
    np.testing.assert_allclose(
        shares, X["group"].value_counts(normalize=True).sort_index(), atol=0.01
    )


def test_missing_values_are_generated(biased, fitted):
    sampler, _, _ = fitted
    X_new, _ = sampler.sample(2000)
    assert X_new.drop(columns="group").isna().any().any()


# ------------------------------------------------------------------ reproducibility
def test_same_seed_same_rows_different_seed_different(biased):
    X, y = biased
    first = tiny_sampler(sensitive="group", random_state=3).fit_resample(X, y)[0]
    again = tiny_sampler(sensitive="group", random_state=3).fit_resample(X, y)[0]
    other = tiny_sampler(sensitive="group", random_state=4).fit_resample(X, y)[0]
    pd.testing.assert_frame_equal(first, again)
    assert not first.iloc[len(X) :].equals(other.iloc[len(X) :])


def test_global_random_state_untouched(biased):
    X, y = biased
    np.random.seed(0)
    torch.manual_seed(0)
    numpy_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state()
    tiny_sampler(sensitive="group").fit(X, y).sample(10)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_clone_and_pickle_round_trip(fitted):
    sampler, _, _ = fitted
    params = clone(sampler).get_params()
    assert params == sampler.get_params()
    restored = pickle.loads(pickle.dumps(sampler))
    pd.testing.assert_frame_equal(
        restored.sample(40)[0], pickle.loads(pickle.dumps(sampler)).sample(40)[0]
    )
    assert restored.net_.device == "cpu"


def test_every_hyperparameter_is_settable():
    sampler = tiny_sampler().set_params(lambda_fair=3.0, d_model=16, n_layers=2)
    assert sampler.get_params()["lambda_fair"] == 3.0
    assert {"epochs", "batch_size", "lr", "n_heads", "critic_steps", "device"} <= set(
        sampler.get_params()
    )


def test_training_hyperparameters_reach_the_net(biased):
    X, y = biased
    chosen = {
        "critic_steps": 2,
        "adversary_steps": 3,
        "gp_weight": 5.0,
        "tau": 0.5,
        "average_decay": 0.9,
    }
    net = tiny_sampler(**chosen).fit(X, y).net_
    assert {name: getattr(net, name) for name in chosen} == chosen


def test_losses_go_to_history(fitted):
    sampler, _, _ = fitted
    last = sampler.net_.history[-1]
    for key in ("train_loss", "critic_loss", "adversary_loss", "fairness_penalty"):
        assert np.isfinite(last[key])


@pytest.mark.parametrize(
    ("keep_real", "lambda_fair", "weight"),
    [(False, 1.0, 1.0), (False, 0.0, 0.0), (False, "auto", 0.0), (True, "auto", 0.0)],
)
def test_adversary_trains_with_the_weight_it_reports(
    biased, keep_real, lambda_fair, weight
):
    X, y = biased
    sampler = tiny_sampler(
        sensitive="group", keep_real=keep_real, lambda_fair=lambda_fair
    ).fit(X, y)
    assert sampler.lambda_fair_ == weight == sampler.net_.lambda_fair
    assert (sampler.net_.history[-1, "adversary_loss"] > 0) == (weight > 0)


def test_an_adversary_on_kept_real_rows_is_refused(biased):
    with pytest.raises(ValueError, match="acts on a fully generated table only"):
        tiny_sampler(sensitive="group", lambda_fair=1.0).fit(*biased)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("sensitive", "message"),
    [
        ("sex", r"not in X\. X has the columns \['group'"),
        ("income", "Bin it into a few bands"),
    ],
)
def test_bad_sensitive_columns(biased, sensitive, message):
    X, y = biased
    X = X.assign(income=np.arange(len(X)))
    with pytest.raises(ValueError, match=message):
        tiny_sampler(sensitive=sensitive).fit(X, y)


def test_single_group_and_missing_group_values(biased):
    X, y = biased
    with pytest.raises(ValueError, match="single value"):
        tiny_sampler(sensitive="group").fit(X.assign(group="g0"), y)
    holes = X.assign(group=X["group"].where(X.index > 3))
    with pytest.raises(ValueError, match="4 missing values"):
        tiny_sampler(sensitive="group").fit(holes, y)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (lambda y: y.astype(float).where(y.index > 0), "1 missing values"),
        (lambda y: y + np.linspace(0, 0.5, len(y)), "looks continuous"),
        (lambda y: y * 0, "single class"),
        (lambda y: None, "requires y to be passed"),
        (lambda y: y.iloc[:-1], "rows but y has"),
    ],
)
def test_bad_targets(biased, labels, message):
    X, y = biased
    with pytest.raises(ValueError, match=message):
        tiny_sampler(sensitive="group").fit(X, labels(y))


def test_too_small_cells_are_named_at_once(biased):
    X, y = biased
    in_cell = ((X["group"] == "g0") & (y == 1)).to_numpy()
    y = y.where(~in_cell | (np.cumsum(in_cell) <= 3), 0)
    with pytest.raises(ValueError, match=r"\(group='g0', class=1\): 3 rows"):
        tiny_sampler(sensitive="group").fit(X, y)
    # Two rare cells: both named in one message.
    strategy = {("g0", 1): 40, ("g1", 0): 400}
    in_other = ((X["group"] == "g1") & (y == 0)).to_numpy()
    X = X[~in_other | (np.cumsum(in_other) <= 4)]
    y = y[X.index]
    with pytest.raises(ValueError, match=r"2 cell\(s\) must grow.*3 rows.*4 rows"):
        tiny_sampler(sensitive="group", sampling_strategy=strategy).fit(X, y)


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        ({("zz", 1): 10}, "not in the data"),
        ({("g0", 1): 1}, "only adds rows"),
        ("minority", "not supported with a sensitive column"),
    ],
)
def test_bad_strategies(biased, strategy, message):
    X, y = biased
    with pytest.raises(ValueError, match=message):
        tiny_sampler(sensitive="group", sampling_strategy=strategy).fit(X, y)


def test_parity_needs_a_sensitive_column(biased):
    with pytest.raises(ValueError, match="needs a sensitive column"):
        tiny_sampler(sampling_strategy="parity").fit(*biased)


def test_sample_errors(fitted):
    sampler, _, _ = fitted
    with pytest.raises(NotFittedError):
        tiny_sampler().sample(5)
    with pytest.raises(ValueError, match="positive integer"):
        sampler.sample(0)
    with pytest.raises(ValueError, match=r"'g9' is not a group of 'group'"):
        sampler.sample(5, groups={"group": "g9"})
    with pytest.raises(ValueError, match="not a sensitive column"):
        sampler.sample(5, groups={"num_0": 1.0})
    with pytest.raises(ValueError, match="not a class seen in fit"):
        sampler.sample(5, y=7)


# ------------------------------------------------------------------ quality
@pytest.mark.slow
def test_generated_rows_carry_their_cell():
    """A classifier of the cell, trained on real rows, recognises generated rows.

    The rows are generated in the real cells' proportions: ``sample`` follows the
    fair joint, which gives the rare cells (hard to recognise even in real rows)
    half the rows.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split

    X, y = make_biased_classification(3000, bias=0.8, random_state=0)
    X_fit, X_held, y_fit, y_held = train_test_split(X, y, random_state=0)
    sampler = FairGANSampler(sensitive="group", random_state=0, device="cpu")
    sampler.fit(X_fit, y_fit)

    def features(frame):
        return pd.get_dummies(frame.drop(columns="group"), dtype=float)

    def cells(frame, labels):
        return frame["group"].astype(str).to_numpy() + "/" + np.asarray(labels, str)

    shares = pd.Series(cells(X_held, y_held)).value_counts(normalize=True)
    generated = [
        sampler.sample(round(2000 * share), groups={"group": group}, y=int(label))
        for (group, label), share in zip(
            shares.index.str.split("/"), shares, strict=True
        )
    ]
    X_new = pd.concat([rows for rows, _ in generated])
    y_new = np.concatenate([labels for _, labels in generated])

    model = HistGradientBoostingClassifier(random_state=0)
    model.fit(features(X_fit), cells(X_fit, y_fit))
    recognised = (model.predict(features(X_new)) == cells(X_new, y_new)).mean()
    real = (model.predict(features(X_held)) == cells(X_held, y_held)).mean()
    assert recognised > shares.max() + 0.1
    assert recognised > 0.8 * real


def test_auto_training_length_and_batch():
    from fairsynth.sampler._training import resolve_batch_size, resolve_epochs

    assert resolve_batch_size("auto", 27_000) == 512
    assert resolve_batch_size("auto", 270) == 32
    assert resolve_batch_size(100, 270) == 100
    # 3,000 steps at least: 53 steps an epoch need 57 epochs.
    assert resolve_epochs("auto", 27_000, 512) == 57
    assert resolve_epochs("auto", 270, 32) == 300
    assert resolve_epochs(4, 270, 32) == 4


def test_allowed_tokens_follow_what_the_data_shows():
    from fairsynth.sampler._cells import allowed_tokens

    rng = np.random.default_rng(0)
    sex = rng.integers(0, 2, 400)
    # Column 0 names the sex (tokens 0-1 women, 2-3 men); token 4 never occurs.
    status = 2 * sex + rng.integers(0, 2, 400)
    noise = rng.integers(0, 3, 400)
    tokens = np.column_stack([status, noise])
    codes = np.column_stack([sex, rng.integers(0, 2, 400)])
    allowed = allowed_tokens(tokens, codes, [5, 3], [2, 2])
    assert allowed.shape == (4, 8)
    np.testing.assert_array_equal(allowed[0, :5], [True, True, False, False, False])
    np.testing.assert_array_equal(allowed[1, :5], [False, False, True, True, False])
    # The label is not determined by the status, and nothing by the noise.
    np.testing.assert_array_equal(allowed[2:, :5], [[True] * 4 + [False]] * 2)
    assert allowed[:, 5:].all()
