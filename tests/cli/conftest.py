import contextlib
import io

import joblib
import pandas as pd
import pytest
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from threadpoolctl import threadpool_limits

from fairsynth.cli import main
from fairsynth.datasets import make_biased_classification


@pytest.fixture(autouse=True, scope="session")
def _single_openmp_thread():
    # Shared cores: OpenMP spin-waiting in gradient boosting slows small fits badly.
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture(autouse=True, scope="session")
def _on_the_cpu():
    # The same figures on a machine with a GPU: CUDA kernels differ in the last bits.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FAIRSYNTH_DEVICE", "cpu")
        yield


@pytest.fixture(scope="session")
def table():
    X, y = make_biased_classification(300, random_state=0)
    return X.assign(label=y)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory, table):
    """The same small table as CSV and Parquet, and a fitted model from resample.

    What resample printed is kept in ``resample.out``.
    """
    folder = tmp_path_factory.mktemp("data")
    table.to_csv(folder / "data.csv", index=False)
    table.to_parquet(folder / "data.parquet", index=False)
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        code = main(
            [
                "resample", str(folder / "data.csv"), "--target", "label",
                "--sensitive", "group", "-o", str(folder / "resampled.csv"),
                "--epochs", "1", "--quiet", "--save-model", str(folder / "model.zip"),
                "--parity-strength", "1.5", "--boundary-focus", "2",
                "--copy-share", "0.5",
            ]
        )  # fmt: skip
    (folder / "resample.out").write_text(printed.getvalue())
    assert code == 0
    return folder


@pytest.fixture(scope="session")
def classifier_path(data_dir):
    """A Pipeline fitted on data.csv's columns (the group included), pickled."""
    table = pd.read_csv(data_dir / "data.csv")
    encode = make_column_transformer(
        (OneHotEncoder(), make_column_selector(dtype_exclude="number")),
        remainder="passthrough",
    )
    model = make_pipeline(encode, LogisticRegression(max_iter=1000))
    model.fit(table.drop(columns="label"), table["label"])
    path = data_dir / "classifier.joblib"
    joblib.dump(model, path)
    return path
