"""Searches and partitioned generation on a real Dask cluster on this machine."""

import joblib
import pandas as pd
import pytest
from _helpers import TINY_GAN
from imblearn.pipeline import Pipeline
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from fairsynth import FairGANSampler
from fairsynth.datasets import make_biased_classification
from fairsynth.metrics import make_fairness_scorer
from fairsynth.sampler import sample_partitions

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("dask.distributed")

GRID = {
    "resample__parity_strength": [1.0, 2.0],
    "resample__copy_share": [0.0, 1.0],
}


def start_cluster(n_workers):
    # Without Dask's MALLOC_TRIM_THRESHOLD_, which slows the workers' networks.
    untrimmed = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    with dask.config.set(untrimmed):
        cluster = distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            # Workers import torch: give them time on a loaded machine.
            death_timeout=60,
        )
    return cluster, distributed.Client(cluster)


@pytest.fixture(scope="module")
def two_workers():
    cluster, client = start_cluster(2)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def biased():
    X, y = make_biased_classification(300, bias=0.6, random_state=0)
    # Numbers only, so that the model after the sampler needs no encoder.
    return X.select_dtypes("number").assign(group=X["group"]), y


def search(memory):
    pipeline = Pipeline(
        [
            ("resample", FairGANSampler(sensitive="group", memory=memory, **TINY_GAN)),
            (
                "blind",
                make_column_transformer(("drop", ["group"]), remainder="passthrough"),
            ),
            ("model", LogisticRegression(max_iter=500)),
        ]
    )
    scorer = make_fairness_scorer("demographic_parity_difference", sensitive="group")
    return GridSearchCV(pipeline, GRID, cv=2, scoring=scorer, n_jobs=-1)


def test_a_search_on_the_cluster_matches_one_process(two_workers, biased, tmp_path):
    local = search(tmp_path / "local").set_params(n_jobs=1).fit(*biased)
    with joblib.parallel_backend("dask"):
        spread = search(tmp_path / "cluster").fit(*biased)
    assert spread.best_params_ == local.best_params_
    assert list(spread.cv_results_["mean_test_score"]) == pytest.approx(
        list(local.cv_results_["mean_test_score"])
    )
    # The train-once cache works across the workers' processes: one network per
    # fold, plus the refit on all rows.
    stored = list((tmp_path / "cluster").glob("fairsynth_networks/*.pkl"))
    assert len(stored) == 3


def test_partitions_are_the_same_on_any_number_of_workers(
    two_workers, biased, tmp_path
):
    sampler = FairGANSampler(sensitive="group", **TINY_GAN).fit(*biased)
    options = {"partition_rows": 200, "seed": 7}
    sample_partitions(sampler, tmp_path / "local", 1000, **options)
    sample_partitions(sampler, tmp_path / "two", 1000, client=two_workers, **options)
    cluster, one_worker = start_cluster(1)
    try:
        sample_partitions(sampler, tmp_path / "one", 1000, client=one_worker, **options)
    finally:
        one_worker.close()
        cluster.close()
    expected = pd.read_parquet(tmp_path / "local")
    assert len(expected) == 1000
    for name in ["one", "two"]:
        files = sorted(p.name for p in (tmp_path / name).iterdir())
        assert files == [f"part-0000{i}.parquet" for i in range(5)]
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / name), expected)
