"""Counterfactual twins: FairGANSampler.counterfactuals and CounterfactualSampler."""

import pickle

import numpy as np
import pandas as pd
import pytest
from _helpers import TINY_GAN
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import GridSearchCV

from fairsynth import CounterfactualSampler, FairGANSampler
from fairsynth.datasets import make_biased_classification
from fairsynth.sampler import _training
from fairsynth.sampler._twins import complementary_latents


@pytest.fixture(scope="module")
def biased():
    X, y = make_biased_classification(300, bias=0.6, random_state=0)
    # A shuffled, non-default index: the twins' index must name the source rows.
    return X.set_axis(np.arange(300) * 7 + 1000), y.set_axis(np.arange(300) * 7 + 1000)


@pytest.fixture(scope="module")
def fitted(biased):
    return FairGANSampler(sensitive="group", **TINY_GAN).fit(*biased)


@pytest.fixture(scope="module")
def intersectional():
    X, y = make_biased_classification(400, n_groups=[2, 3], random_state=0)
    sampler = FairGANSampler(sensitive=["group_0", "group_1"], **TINY_GAN)
    return X, y, sampler.fit(X, y)


# ------------------------------------------------------------------ the latent


def test_complementary_latents_flip_the_group_and_keep_the_target():
    rng = np.random.default_rng(0)
    target, group = rng.normal(size=4), rng.normal(size=4)
    target, group = target / np.linalg.norm(target), group / np.linalg.norm(group)
    z = rng.normal(size=(50, 4))
    twins = complementary_latents(z, target, group, 0.3)
    np.testing.assert_allclose(twins @ group + 0.3, -(z @ group + 0.3))
    np.testing.assert_allclose(twins @ target, z @ target)


# ------------------------------------------------------------------ twins


def test_every_row_gets_a_twin_in_the_other_group(biased, fitted):
    X, y = biased
    twins, labels = fitted.counterfactuals(X, y)
    assert len(twins) == len(X)
    assert list(twins.columns) == list(X.columns)
    assert twins.dtypes.equals(X.dtypes)
    np.testing.assert_array_equal(twins.index, X.index)
    np.testing.assert_array_equal(labels, y)
    assert labels.index.equals(twins.index)
    assert (twins["group"] != X["group"]).all()


def test_twins_keep_values_and_repeat(biased, fitted):
    X, y = biased
    twins, _ = fitted.counterfactuals(X, y)
    again, _ = fitted.counterfactuals(X, y)
    pd.testing.assert_frame_equal(twins, again)
    # A twin is made from its row: most of its values stay exactly as they were.
    same = (twins.drop(columns="group") == X.drop(columns="group")).to_numpy()
    assert same.mean() > 0.5


def test_proximity_keeps_more_of_each_row(biased, fitted):
    X, y = biased
    features = X.drop(columns="group")

    def kept(proximity):
        twins, _ = fitted.counterfactuals(X, y, proximity=proximity)
        return (twins.drop(columns="group") == features).to_numpy().mean()

    assert kept(0.0) < kept(2.0) < kept(50.0)
    assert kept(50.0) > 0.95


def test_a_row_listed_twice_gets_two_twins(biased, fitted):
    X, y = biased
    twice = pd.concat([X.iloc[:100], X.iloc[:100]], ignore_index=True)
    twins, _ = fitted.counterfactuals(twice, np.tile(y.to_numpy()[:100], 2))
    first, second = twins.iloc[:100].to_numpy(), twins.iloc[100:].to_numpy()
    assert (first != second).any(axis=1).mean() > 0.2


def test_latents_place_rows_in_their_cells(biased, fitted):
    X, y = biased
    latents = fitted.latents(X, y)
    assert latents.shape == (len(X), X.shape[1] - 1)
    assert np.isfinite(latents).all()
    # Normal scores of the rows' places: centred, about unit spread.
    assert abs(latents.mean()) < 0.3 and 0.5 < latents.std() < 1.5


def test_a_dict_names_one_group_and_skips_its_own_rows(biased, fitted):
    X, y = biased
    twins, _ = fitted.counterfactuals(X, y, groups={"group": "g0"})
    assert len(twins) == (X["group"] != "g0").sum()
    assert (twins["group"] == "g0").all()
    assert (X.loc[twins.index, "group"] == "g1").all()


def test_without_labels_twins_take_the_likeliest_class(biased, fitted):
    X, _ = biased
    _, labels = fitted.counterfactuals(X.iloc[:20])
    assert set(labels) <= set(fitted.classes_)


def test_one_sensitive_column_changes_and_the_other_stays(intersectional):
    X, y, sampler = intersectional
    twins, _ = sampler.counterfactuals(X, y, groups="group_1")
    # Each row gets a twin in each of group_1's two other values.
    assert len(twins) == 2 * len(X)
    sources = X.loc[twins.index]
    assert (twins["group_0"].to_numpy() == sources["group_0"].to_numpy()).all()
    assert (twins["group_1"].to_numpy() != sources["group_1"].to_numpy()).all()
    all_twins, _ = sampler.counterfactuals(X, y)
    assert len(all_twins) == 5 * len(X)


def test_hyperplane_twins_are_twins_and_repeat(biased, fitted):
    X, y = biased
    twins, labels = fitted.counterfactuals(X, y, method="hyperplane")
    again, _ = fitted.counterfactuals(X, y, method="hyperplane")
    pd.testing.assert_frame_equal(twins, again)
    assert (twins["group"] != X["group"]).all()
    np.testing.assert_array_equal(labels, y)


def test_numpy_rows_are_named_by_position(biased):
    X, y = biased
    array = X.drop(columns="group").assign(group=X["group"].cat.codes).to_numpy()
    sampler = FairGANSampler(sensitive=8, **TINY_GAN).fit(array, y.to_numpy())
    twins, _ = sampler.counterfactuals(array[:10], y.to_numpy()[:10])
    np.testing.assert_array_equal(twins.index, np.arange(10))
    assert (twins[8].to_numpy() != array[:10, 8]).all()


@pytest.mark.parametrize(
    "change, kwargs, message",
    [
        (lambda X: X, {"method": "mirror"}, "method must be one of"),
        (lambda X: X, {"proximity": -1.0}, "proximity must be a number >= 0"),
        (lambda X: X.drop(columns="group"), {}, "lacks the sensitive"),
        (lambda X: X.set_axis([0] * len(X)), {}, "index has repeated labels"),
        (
            lambda X: X.assign(group=X["group"].cat.add_categories("g9").where(
                X.index != X.index[3], "g9")),
            {},
            "group not seen in fit",
        ),
        (
            lambda X: X.assign(group=X["group"].where(X.index != X.index[3])),
            {},
            "has missing values",
        ),
        (lambda X: X, {"groups": "num_0"}, "must name sensitive columns"),
        (lambda X: X, {"groups": {"group": "g7"}}, "is not a group of"),
    ],
)  # fmt: skip
def test_bad_requests_are_refused(biased, fitted, change, kwargs, message):
    X, y = biased
    with pytest.raises(ValueError, match=message):
        fitted.counterfactuals(change(X), y.to_numpy(), **kwargs)


def test_unseen_classes_and_multiclass_hyperplanes_are_refused(biased, fitted):
    X, y = biased
    with pytest.raises(ValueError, match="classes not seen in fit"):
        fitted.counterfactuals(X, y + 5)
    three = FairGANSampler(sensitive="group", **TINY_GAN).fit(X, y + (X["num_0"] > 0))
    with pytest.raises(ValueError, match="needs a binary label"):
        three.counterfactuals(X, method="hyperplane")


def test_unfitted_sampler_is_refused(biased):
    with pytest.raises(Exception, match="not fitted"):
        FairGANSampler(sensitive="group").counterfactuals(*biased)


# ------------------------------------------------------------------ the sampler


def augmenter(**params):
    generator = FairGANSampler(sensitive="group", **TINY_GAN)
    return CounterfactualSampler(sampler=generator, random_state=0, **params)


def test_real_rows_come_first_then_their_twins(biased):
    X, y = biased
    sampler = augmenter(twins_per_row=0.5)
    X_res, y_res = sampler.fit_resample(X, y)
    assert 120 < sampler.n_twins_ < 180 and len(X_res) == 300 + sampler.n_twins_
    pd.testing.assert_frame_equal(X_res.iloc[:300], X.reset_index(drop=True))
    np.testing.assert_array_equal(y_res.iloc[:300], y)
    assert X_res.dtypes.equals(X.dtypes) and y_res.name == y.name


def test_rows_get_several_twins_drawn_apart(biased):
    X, y = biased
    sampler = augmenter(twins_per_row=2)
    X_res, y_res = sampler.fit_resample(X, y)
    assert sampler.n_twins_ == 600
    twins = X_res.iloc[300:].reset_index(drop=True)
    # Each row's two twins come together, in its twin group, with its label.
    first, second = twins.iloc[::2].reset_index(drop=True), twins.iloc[1::2]
    assert (first["group"].to_numpy() != X["group"].to_numpy()).all()
    np.testing.assert_array_equal(y_res.iloc[300::2], y)
    assert (first.to_numpy() != second.to_numpy()).any(axis=1).mean() > 0.2


def test_generated_pairs(biased):
    X, y = biased
    sampler = augmenter(twins_per_row=1, source="generated")
    X_res, y_res = sampler.fit_resample(X, y)
    assert len(X_res) == len(y_res) == 300 + 2 * 300
    generated, twins = X_res.iloc[300:600], X_res.iloc[600:]
    assert (generated["group"].to_numpy() != twins["group"].to_numpy()).all()
    np.testing.assert_array_equal(y_res.iloc[300:600], y_res.iloc[600:])


def test_numpy_in_numpy_out(biased):
    X, y = biased
    array = X.drop(columns="group").assign(group=X["group"].cat.codes).to_numpy()
    generator = FairGANSampler(sensitive=8, **TINY_GAN)
    sampler = CounterfactualSampler(sampler=generator, random_state=0)
    X_res, y_res = sampler.fit_resample(array, y.to_numpy())
    assert isinstance(X_res, np.ndarray) and isinstance(y_res, np.ndarray)
    assert X_res.shape == (600, 9)


def test_clone_and_pickle(biased):
    sampler = augmenter(twins_per_row=0.3, method="hyperplane")
    assert clone(sampler).get_params()["twins_per_row"] == 0.3
    sampler.fit_resample(*biased)
    loaded = pickle.loads(pickle.dumps(sampler))
    pd.testing.assert_frame_equal(
        loaded.sampler_.counterfactuals(*biased)[0],
        sampler.sampler_.counterfactuals(*biased)[0],
    )


def test_search_over_twins_trains_once_per_fold(biased, tmp_path, monkeypatch):
    trainings = []
    train_net = _training.train_net

    def counted(*args, **kwargs):
        trainings.append(1)
        return train_net(*args, **kwargs)

    monkeypatch.setattr(_training, "train_net", counted)
    generator = FairGANSampler(sensitive="group", memory=tmp_path, **TINY_GAN)
    pipeline = Pipeline(
        [
            ("twins", CounterfactualSampler(sampler=generator, random_state=0)),
            ("model", DummyClassifier()),
        ]
    )
    grid = {"twins__twins_per_row": [0.5, 1, 2], "twins__method": ["condition"]}
    GridSearchCV(pipeline, grid, cv=3, refit=False).fit(*biased)
    assert len(trainings) == 3


@pytest.mark.parametrize(
    "params, message",
    [
        ({"sampler": None}, "needs a generator"),
        ({"twins_per_row": 0.0}, "'twins_per_row' parameter"),
        ({"source": "both"}, "'source' parameter"),
    ],
)
def test_bad_settings_are_refused(biased, params, message):
    with pytest.raises(ValueError, match=message):
        augmenter(**{k: v for k, v in params.items() if k != "sampler"}).set_params(
            **params
        ).fit_resample(*biased)
