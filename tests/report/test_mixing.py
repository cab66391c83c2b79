"""The mixing section: a DrFairnessClassifier's ratios in the HTML report."""

import joblib
import matplotlib.image
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from fairsynth import DrFairnessClassifier
from fairsynth.cli import main
from fairsynth.datasets import make_biased_classification
from fairsynth.report import mixing_model, mixing_section, ratio_figure


@pytest.fixture(scope="module")
def table():
    X, y = make_biased_classification(300, random_state=0)
    return X.astype({"group": str, "cat_0": str, "cat_1": str}).assign(label=y)


@pytest.fixture(scope="module")
def fitted(table):
    X, y = table.drop(columns="label"), table["label"]
    generated = (
        X.iloc[:120].reset_index(drop=True),
        y.iloc[:120].reset_index(drop=True),
    )
    clf = DrFairnessClassifier(
        sensitive="group",
        generator=generated,
        hidden_layer_sizes=(4,),
        max_epochs=3,
        batch_size=32,
        device="cpu",
        random_state=0,
    )
    return clf.fit(X, y)


def test_ratio_figure_draws_every_cell(fitted):
    axes = ratio_figure(fitted.ratio_history_).axes
    assert [len(ax.get_lines()) for ax in axes] == [4, 4]
    # Epoch 0 (the initial ratios) and the three epochs.
    assert list(axes[1].get_lines()[0].get_xdata()) == [0, 1, 2, 3]
    labels = [t.get_text() for t in axes[1].get_legend().get_texts()]
    assert labels == ["g0 / 0", "g1 / 0", "g0 / 1", "g1 / 1"]


def test_section_has_the_final_ratios(fitted):
    section = mixing_section(fitted)
    assert list(section.figures) == ["mixing_ratios"]
    (table,) = section.tables.values()
    assert list(table.columns) == [
        "group", "class", "n_real", "n_generated", "lambda", "mu",
    ]  # fmt: skip
    mu = table.set_index(["group", "class"])["mu"]
    assert mu.loc[("g1", 1)] == pytest.approx(fitted.mu_.loc["g1", 1])
    assert "mode='drfairness'" in section.text


def test_mixing_model_in_a_pipeline(fitted):
    pipe = make_pipeline(FunctionTransformer(), fitted)
    assert mixing_model(pipe) is fitted
    assert mixing_model(LogisticRegression()) is None
    with pytest.raises(ValueError, match="needs a fitted DrFairnessClassifier"):
        mixing_section(LogisticRegression())


def test_cli_report_takes_the_fitted_classifier(fitted, table, tmp_path, capsys):
    real, synthetic = tmp_path / "real.csv", tmp_path / "synthetic.csv"
    table.to_csv(real, index=False)
    pd.concat([table, table.iloc[:40]]).to_csv(synthetic, index=False)
    joblib.dump(fitted, tmp_path / "clf.joblib")
    out = tmp_path / "report"
    code = main(
        [
            "report", str(real), str(synthetic), "--target", "label",
            "--sensitive", "group", "--out", str(out),
            "--classifier", str(tmp_path / "clf.joblib"), "--trust-classifier",
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert matplotlib.image.imread(out / "mixing_ratios.png").ndim == 3
    assert "Mixing of real and generated rows" in (out / "report.html").read_text()
