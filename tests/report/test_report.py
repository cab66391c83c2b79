import os
import shutil

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from _helpers import run_chromium

from fairsynth.datasets import make_biased_classification
from fairsynth.report import (
    Section,
    association_figure,
    distributions_figure,
    rate_panels,
    rates_figure,
    report_files,
    tradeoff_figure,
    write_report,
)


@pytest.fixture(scope="module")
def tables():
    X, y = make_biased_classification(200, random_state=0)
    other, other_y = make_biased_classification(150, random_state=1)
    return X.assign(label=y), other.assign(label=other_y)


def axes_with_content(figure):
    return [
        ax for ax in figure.axes if ax.get_visible() and ax.get_label() != "<colorbar>"
    ]


def test_rate_panels_cover_each_attribute_and_the_intersection(tables):
    real, _ = tables
    real = real.assign(band=np.where(real["num_0"] > 0, "hi", "lo"))
    series = {"labels": (real["label"], None, real),
              "predictions": (real["label"], real["label"], real)}  # fmt: skip
    panels = rate_panels(series, ["group", "band"])
    assert list(panels) == ["group", "band", "group × band"]
    assert list(panels["group × band"].index) == [
        "g0, hi",
        "g0, lo",
        "g1, hi",
        "g1, lo",
    ]
    # Predictions equal to the labels select exactly the base rate.
    np.testing.assert_allclose(
        panels["group"]["labels"], panels["group"]["predictions"]
    )
    by_hand = real.groupby("group", observed=True)["label"].mean()
    np.testing.assert_allclose(panels["group"]["labels"], by_hand.to_numpy())


def test_rates_figure_names_groups_and_axes(tables):
    real, _ = tables
    panels = rate_panels({"real": (real["label"], None, real)}, ["group"])
    figure = rates_figure(panels, title="Base rates", xlabel="base rate")
    (ax,) = axes_with_content(figure)
    assert figure.get_suptitle() == "Base rates"
    assert ax.get_title() == "by group" and ax.get_xlabel() == "base rate"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["g0", "g1"]


def test_other_figures_have_titles_and_labels(tables):
    real, synthetic = tables
    points = pd.DataFrame({"accuracy": [0.8, 0.7], "dp_difference[group]": [0.3, 0.1]},
                          index=["no resampling", "parity"])  # fmt: skip
    delta = pd.DataFrame(np.zeros((2, 2)), index=["a", "b"], columns=["a", "b"])
    figures = [
        tradeoff_figure(points, ["group"]),
        distributions_figure(real, synthetic),
        association_figure(delta),
    ]
    for figure in figures:
        for ax in axes_with_content(figure):
            assert ax.get_title()
            assert ax.get_xlabel() or ax.get_ylabel()
    assert len(axes_with_content(figures[1])) == real.shape[1]


def test_few_valued_numbers_are_drawn_as_bars(tables):
    real, synthetic = tables
    real = real.assign(flag=(real["num_0"] > 0).astype(int))
    synthetic = synthetic.assign(flag=(synthetic["num_0"] > 0).astype(int))
    figure = distributions_figure(real, synthetic)
    flag = next(ax for ax in figure.axes if ax.get_title() == "flag")
    assert [label.get_text() for label in flag.get_yticklabels()] in (
        ["0", "1"],
        ["1", "0"],
    )
    assert flag.get_xlabel() == "share of rows"


def test_the_tradeoff_shows_equalized_odds_when_it_is_there():
    points = pd.DataFrame(
        {"accuracy": [0.8, 0.7], "dp_difference[g]": [0.3, 0.1],
         "eo_difference[g]": [0.1, 0.3]},
        index=["no resampling", "parity"],
    )  # fmt: skip
    xlabels = [ax.get_xlabel() for ax in tradeoff_figure(points, ["g"]).axes]
    assert xlabels == [
        "demographic-parity difference (lower is fairer)",
        "equalized-odds difference (lower is fairer)",
    ]


def test_figures_carry_their_captions(tables, tmp_path):
    real, synthetic = tables
    section = Section(
        "Figures",
        figures={"distributions": distributions_figure(real, synthetic)},
        captions={"distributions": "Each column, real against generated."},
    )
    text = write_report(tmp_path / "out", "Captions", [section]).read_text()
    assert (
        "<figcaption>Each column, real against generated. (distributions.png)" in text
    )


def test_write_report_is_self_contained(tables, tmp_path):
    real, synthetic = tables
    sections = [
        Section("Tables", "Some <text>", tables={"scores": pd.DataFrame({"v": [0.5]})}),
        Section(
            "Figures", figures={"distributions": distributions_figure(real, synthetic)}
        ),
    ]
    path = write_report(tmp_path / "out", "A & B", sections)
    assert report_files(tmp_path / "out", sections) == [
        path,
        tmp_path / "out" / "distributions.png",
    ]
    text = path.read_text()
    assert "http://" not in text and "https://" not in text and "<script" not in text
    assert "A &amp; B" in text and "Some &lt;text&gt;" in text
    assert text.count("data:image/png;base64,") == 1
    assert matplotlib.image.imread(tmp_path / "out" / "distributions.png").shape[2] in (
        3,
        4,
    )
    with pytest.raises(FileExistsError, match="already exists"):
        write_report(tmp_path / "out", "again", sections)
    write_report(tmp_path / "out", "again", sections, force=True)


def test_write_report_files_follow_the_umask(tmp_path):
    sections = [Section("Tables", tables={"scores": pd.DataFrame({"v": [0.5]})})]
    previous = os.umask(0o027)
    try:
        path = write_report(tmp_path, "Report", sections)
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o640
    # The temporary file was moved into place, not left beside the report.
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="chromium is not installed"
)
def test_headless_chromium_renders_the_report(tables, tmp_path):
    real, synthetic = tables
    sections = [
        Section(
            "Figures", figures={"distributions": distributions_figure(real, synthetic)}
        )
    ]
    page = write_report(tmp_path / "report", "fairsynth report", sections)
    screenshot = tmp_path / "screenshot.png"
    run_chromium(
        tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=1200,2000",
        page.resolve().as_uri(), timeout=120,
    )  # fmt: skip
    image = matplotlib.image.imread(screenshot)
    assert image.shape[:2] == (2000, 1200)
    # The page drew something besides a blank background.
    assert image[..., :3].std() > 0.01
