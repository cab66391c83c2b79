import pickle
import re

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils._param_validation import InvalidParameterError

from fairsynth.discovery import LatentRarity, RarityOversampler
from fairsynth.discovery._sampler import BAD_FIT_PARAMS, NEEDS_Y

TINY_VAE = {"epochs": 2, "hidden": 8, "batch_size": 64, "random_state": 0}


def make_sampler(**params):
    return RarityOversampler(rarity=LatentRarity(**TINY_VAE), random_state=0, **params)


@pytest.fixture(scope="module", params=["interpolate", "decode"])
def resampled(request, table):
    X, y = table
    sampler = make_sampler(method=request.param, ratio=0.5, share=0.2)
    X_res, y_res = sampler.fit_resample(X, y)
    return sampler, X_res, y_res


def test_counts_and_real_rows_first(table, resampled):
    X, y = table
    sampler, X_res, y_res = resampled
    assert sampler.n_generated_ == 150 and len(X_res) == len(y_res) == 450
    pd.testing.assert_frame_equal(X_res.iloc[:300], X)
    pd.testing.assert_series_equal(y_res.iloc[:300], y)
    assert sampler.rare_mask_.sum() == 60


def test_generated_rows_come_from_rare_rows(table, resampled):
    _, y = table
    sampler, _, y_res = resampled
    assert sampler.rare_mask_[sampler.sources_].all()
    assert (y_res.iloc[300:].to_numpy() == y.to_numpy()[sampler.sources_]).all()


def test_generated_rows_keep_the_table_types(table, resampled):
    X, _ = table
    _, X_res, y_res = resampled
    assert (X_res.dtypes == X.dtypes).all() and y_res.dtype == "int64"
    generated = X_res.iloc[300:]
    assert generated["cat_0"].dropna().isin(["a", "b", "c", "d"]).all()
    for column in ["num_0", "count", "proxy_0"]:
        values = generated[column].dropna()
        assert values.between(X[column].min(), X[column].max()).all()


def test_interpolated_rows_lie_between_rare_rows(table):
    X, y = table
    sampler = make_sampler(ratio=0.3, within_class=False)
    X_res, _ = sampler.fit_resample(X, y)
    rare = X[sampler.rare_mask_]
    values = X_res["num_1"].iloc[300:].dropna()
    assert values.between(rare["num_1"].min(), rare["num_1"].max()).all()
    assert sampler.rarity_.classes_ is None


def test_numpy_in_numpy_out(table):
    X, y = table
    array = X[["num_0", "num_1", "count"]].to_numpy()
    X_res, y_res = make_sampler(ratio=0.1).fit_resample(array, y.to_numpy())
    assert isinstance(X_res, np.ndarray) and X_res.shape == (330, 3)
    assert isinstance(y_res, np.ndarray) and y_res.dtype == y.to_numpy().dtype
    np.testing.assert_array_equal(X_res[:300], array)


def test_same_seed_same_rows_other_seed_other(table, resampled):
    X, y = table
    sampler, X_res, _ = resampled
    again, _ = clone(sampler).fit_resample(X, y)
    pd.testing.assert_frame_equal(again, X_res)
    other, _ = clone(sampler).set_params(random_state=1).fit_resample(X, y)
    assert not other.iloc[300:].equals(X_res.iloc[300:])


def test_pickle_round_trip(resampled):
    sampler, _, _ = resampled
    restored = pickle.loads(pickle.dumps(sampler))
    np.testing.assert_array_equal(restored.sources_, sampler.sources_)


def test_in_a_pipeline_and_a_search(table):
    X, y = table
    X = X.drop(columns="group").head(100)
    y = y.head(100)
    columns = ["cat_0", "cat_1"]
    encode = ColumnTransformer(
        [("cats", OneHotEncoder(handle_unknown="ignore"), columns)],
        remainder="passthrough",
    )
    pipeline = Pipeline(
        [
            ("rare", make_sampler()),
            ("encode", encode),
            ("model", LogisticRegression(max_iter=500)),
        ]
    )
    numeric = X.fillna({c: 0.0 for c in X.columns if c.startswith(("num", "proxy"))})
    numeric[columns] = numeric[columns].astype(object).fillna("a")
    search = GridSearchCV(pipeline, {"rare__ratio": [0.1, 0.3]}, cv=2)
    search.fit(numeric, y)
    assert search.best_params_["rare__ratio"] in (0.1, 0.3)
    assert search.predict(numeric).shape == (100,)


def test_needs_y(table):
    X, _ = table
    with pytest.raises(ValueError, match=re.escape(NEEDS_Y)):
        make_sampler().fit_resample(X, None)


def test_refuses_fit_params(table):
    X, y = table
    message = BAD_FIT_PARAMS.format(names=["sample_weight"])
    with pytest.raises(TypeError, match=re.escape(message)):
        make_sampler().fit_resample(X, y, sample_weight=np.ones(len(y)))


@pytest.mark.parametrize(
    "param", [{"share": 0}, {"share": 1.5}, {"ratio": 0}, {"method": "smote"}]
)
def test_bad_parameters(table, param):
    X, y = table
    with pytest.raises(InvalidParameterError):
        make_sampler(**param).fit_resample(X, y)
