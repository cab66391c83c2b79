import numpy as np
import pandas as pd
import pytest

from fairsynth.datasets import make_biased_classification
from fairsynth.discovery import LatentRarity
from fairsynth.report import (
    rarity_audit_section,
    rarity_figure,
    rarity_section,
    write_report,
)


@pytest.fixture(scope="module")
def scored():
    X, _ = make_biased_classification(n_samples=300, random_state=0)
    features = X.drop(columns="group")
    rarity = LatentRarity(epochs=2, hidden=8, random_state=0).fit(features)
    scores = rarity.score_samples(features)
    return X, features, scores, rarity.minority(features, share=0.1)


def test_section_tables_and_figure(scored):
    X, features, scores, mask = scored
    section = rarity_section(features, scores, mask, groups=X["group"], top=5)
    lifts = section.tables["Values over-represented among the rarest rows"]
    assert len(lifts) <= 5 and lifts["lift"].is_monotonic_decreasing
    by_group = section.tables["Known groups among the rarest rows"]
    assert by_group["group"].tolist() == ["g0", "g1"]
    assert by_group["rows"].sum() == 300
    assert "30" in section.text and "10%" in section.text
    assert len(section.figures["rarity"].axes) == 2


def test_section_without_groups(scored):
    _, features, scores, mask = scored
    section = rarity_section(features, scores, mask)
    assert list(section.tables) == ["Values over-represented among the rarest rows"]
    assert len(section.figures["rarity"].axes) == 1


def test_figure_draws_the_cut(scored):
    _, _, scores, mask = scored
    figure = rarity_figure(scores, mask)
    (line,) = figure.axes[0].get_lines()
    assert line.get_xdata()[0] == pytest.approx(scores[mask].min())


def test_section_writes_into_a_report(scored, tmp_path):
    X, features, scores, mask = scored
    section = rarity_section(features, scores, mask, groups=X[["group"]])
    path = write_report(tmp_path, "audit", [section])
    assert "Rarest rows" in path.read_text() and (tmp_path / "rarity.png").exists()


def test_audit_section_keeps_excluded_columns_out():
    X, y = make_biased_classification(n_samples=120, random_state=1)
    table = X.assign(label=y)
    section = rarity_audit_section(
        table, exclude=["label", "group"], groups=table["group"], share=0.25
    )
    lifts = section.tables["Values over-represented among the rarest rows"]
    assert not set(lifts["column"]) & {"label", "group"}
    assert "(30)" in section.text


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_audit_section_refuses_a_bad_share(share):
    frame = pd.DataFrame({"a": np.arange(10.0)})
    with pytest.raises(ValueError, match="share must be a number strictly between"):
        rarity_audit_section(frame, share=share)
