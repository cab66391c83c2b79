import re
import subprocess
import sys

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from fairsynth import FairGANSampler
from fairsynth.cli import main
from fairsynth.cli._io import EXACT_FLOATS
from fairsynth.cli._origin import row_origins, warn_side_effects
from fairsynth.report import quality_table

COMMANDS = ["demo", "audit", "resample", "sample", "report"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "example:" in out
    assert f"fairsynth {command} " in out


def test_python_m_fairsynth_runs_the_command_line():
    result = subprocess.run(
        [sys.executable, "-m", "fairsynth", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert all(command in result.stdout for command in COMMANDS)


def test_no_command_prints_help(capsys):
    code, out, _ = run(capsys)
    assert code == 2
    assert "demo" in out


def test_audit_prints_groups_and_their_intersection(tmp_path, table, capsys):
    path = tmp_path / "data.csv"
    table.assign(band=(table["num_0"] > 0).map({True: "hi", False: "lo"})).to_csv(
        path, index=False
    )
    code, out, err = run(
        capsys, "audit", path, "--target", "label", "--sensitive", "group", "band"
    )
    assert code == 0, err
    assert "== group" in out and "== band" in out and "== group × band" in out
    assert "base_rate" in out and "selection_rate" not in out
    assert "Positive label of 'label': 1" in out


def test_audit_warns_about_small_groups(tmp_path, table, capsys):
    path = tmp_path / "data.csv"
    band = ["rare"] * 5 + ["common"] * (len(table) - 5)
    table.assign(band=band).to_csv(path, index=False)
    code, _, err = run(
        capsys, "audit", path, "--target", "label", "--sensitive", "band"
    )
    assert code == 0
    assert "warning: rare (5 rows): fewer than 30 rows" in err


def test_audit_with_predictions_reports_model_rates(data_dir, table, capsys):
    path = data_dir / "with_pred.parquet"
    table.assign(pred=table["label"]).to_parquet(path)
    code, out, _ = run(
        capsys, "audit", path, "--target", "label", "--sensitive", "group",
        "--pred", "pred",
    )  # fmt: skip
    assert code == 0
    assert "selection_rate" in out and "tpr" in out


def test_audit_prints_a_classifiers_flip_rates(data_dir, classifier_path, capsys):
    code, out, err = run(
        capsys, "audit", data_dir / "data.csv", "--target", "label",
        "--sensitive", "group", "--model", data_dir / "model.zip",
        "--classifier", classifier_path, "--trust-classifier",
    )  # fmt: skip
    assert code == 0, err
    section = out.split("== counterfactual twins (300 twins) ==")[1]
    assert "flip_rate" in section and "score_change" in section
    # The classifier reads the group itself, so some decisions follow it.
    overall = float(section.strip().splitlines()[-1].split()[-2])
    assert 0 < overall < 1


def test_resample_writes_the_resampled_table(data_dir, table):
    written = pd.read_csv(data_dir / "resampled.csv")
    sampler = FairGANSampler.load(data_dir / "model.zip")
    assert (sampler.parity_strength, sampler.boundary_focus) == (1.5, 2.0)
    assert sampler.copy_share == 0.5 and sampler.cell_counts_["n_copied"].sum() > 0
    assert len(written) == sampler.cell_counts_["n_total"].sum()
    generated, copied = sampler.cell_counts_[["n_generated", "n_copied"]].sum()
    assert (
        f"Wrote {len(written)} rows ({generated} generated, {copied} copied) to "
        in (data_dir / "resample.out").read_text()
    )
    assert list(written.columns) == list(table.columns)
    printed = (data_dir / "resample.out").read_text()
    shift = printed.split("against the real rows of their cells")[1]
    assert "cat_0" in shift and "cat_1" in shift
    # Real rows come first, unchanged.
    pd.testing.assert_frame_equal(
        written.iloc[: len(table)],
        pd.read_csv(data_dir / "data.csv"),
        check_exact=True,
    )


@pytest.mark.parametrize("form", ["inline", "file"])
def test_resample_grows_the_cells_a_strategy_names(data_dir, table, tmp_path, form):
    strategy = "g0:1=80"
    if form == "file":
        strategy = tmp_path / "cells.csv"
        pd.DataFrame({"group": ["g0"], "label": [1], "n_rows": [80]}).to_csv(
            strategy, index=False
        )
    out = tmp_path / "grown.csv"
    code = main(
        [
            "resample", str(data_dir / "data.csv"), "--target", "label",
            "--sensitive", "group", "-o", str(out), "--epochs", "1", "--quiet",
            "--strategy", str(strategy),
        ]
    )  # fmt: skip
    assert code == 0
    sizes = pd.read_csv(out).groupby(["group", "label"]).size()
    before = table.groupby(["group", "label"], observed=True).size()
    assert sizes[("g0", 1)] == 80
    assert sizes.drop(("g0", 1)).to_dict() == before.drop(("g0", 1)).to_dict()


def test_bins_make_a_numeric_column_a_sensitive_one(table, tmp_path):
    path, out = tmp_path / "ages.csv", tmp_path / "fair.csv"
    rng = np.random.default_rng(0)
    table.drop(columns="group").assign(age=rng.integers(18, 80, len(table))).to_csv(
        path, index=False
    )
    code = main(
        [
            "resample", str(path), "--target", "label", "--sensitive", "age",
            "--bins", "age=3", "-o", str(out), "--epochs", "1", "--quiet",
        ]
    )  # fmt: skip
    assert code == 0
    bands = pd.read_csv(out)["age"]
    assert bands.nunique() == 3 and bands.str.startswith("(").all()


def test_resample_parquet_keeps_categories(data_dir, table, capsys, tmp_path):
    out = tmp_path / "fair.parquet"
    code, stdout, err = run(
        capsys, "resample", data_dir / "data.parquet", "--target", "label",
        "--sensitive", "group", "-o", out, "--epochs", "1", "--quiet",
        "--no-keep-real", "--strategy", "balance",
    )  # fmt: skip
    assert code == 0, err
    written = pd.read_parquet(out)
    assert len(written) == len(table)
    assert written.dtypes.to_dict() == table.dtypes.to_dict()
    # Without the real rows there is nothing to copy, so copies go unmentioned.
    assert f"Wrote {len(table)} rows ({len(table)} generated) to {out}" in stdout


def test_sample_fixes_group_and_label(data_dir, capsys, tmp_path):
    out = tmp_path / "new.csv"
    code, stdout, err = run(
        capsys, "sample", data_dir / "model.zip", "-n", 40, "-o", out,
        "--group", "group=g1", "--label", "1", "--quiet",
    )  # fmt: skip
    assert code == 0, err
    written = pd.read_csv(out)
    assert len(written) == 40
    assert set(written["group"]) == {"g1"}
    assert set(written["label"]) == {1}
    assert "Wrote 40 generated rows" in stdout


def test_sample_streams_the_same_rows_to_parquet_and_csv(data_dir, capsys, tmp_path):
    model = data_dir / "model.zip"
    for name in ["a.parquet", "b.parquet", "c.csv"]:
        code, _, err = run(
            capsys, "sample", model, "-n", 250, "-o", tmp_path / name, "--seed", 3
        )
        assert code == 0, err
        assert "250/250" in err  # the progress bar
    first = pd.read_parquet(tmp_path / "a.parquet")
    pd.testing.assert_frame_equal(first, pd.read_parquet(tmp_path / "b.parquet"))
    as_csv = pd.read_csv(tmp_path / "c.csv", **EXACT_FLOATS)
    assert len(first) == 250
    pd.testing.assert_frame_equal(as_csv, first.astype(as_csv.dtypes.to_dict()))
    run(capsys, "sample", model, "-n", 250, "-o", tmp_path / "d.parquet", "--seed", 4)
    assert not pd.read_parquet(tmp_path / "d.parquet").equals(first)


def test_report_writes_html_and_pngs(data_dir, capsys, tmp_path):
    out, synthetic = tmp_path / "report", tmp_path / "reordered.csv"
    # The columns need not come in the same order as in the real table.
    resampled = pd.read_csv(data_dir / "resampled.csv")
    resampled[resampled.columns[::-1]].to_csv(synthetic, index=False)
    code, _, err = run(
        capsys, "report", data_dir / "data.csv", synthetic,
        "--target", "label", "--sensitive", "group", "--out", out,
        "--model", data_dir / "model.zip",
    )  # fmt: skip
    assert code == 0, err
    names = {path.name for path in out.iterdir()}
    assert names == {
        "report.html",
        "base_rates.png",
        "distributions.png",
        "association_difference.png",
        "training_losses.png",
    }
    for png in out.glob("*.png"):
        assert matplotlib.image.imread(png).ndim == 3
    page = (out / "report.html").read_text()
    assert "data:image/png;base64," in page
    assert "Generator: FairGANSampler(" in page and "model.zip" in page


def test_report_names_the_columns_dropped_before_training(data_dir, capsys, tmp_path):
    out, synthetic = tmp_path / "report", tmp_path / "fewer.csv"
    pd.read_csv(data_dir / "resampled.csv").drop(columns="proxy_1").to_csv(
        synthetic, index=False
    )
    code, _, err = run(
        capsys, "report", data_dir / "data.csv", synthetic,
        "--target", "label", "--sensitive", "group", "--out", out,
    )  # fmt: skip
    assert code == 0, err
    page = (out / "report.html").read_text()
    assert "that the resampled table lacks, left out of every comparison" in page
    assert "(dropped before training): proxy_1." in page


def quality_in_report(page):
    """The report's fidelity table, as {label: value}."""
    rows = re.findall(r"<th>([^<]+)</th>\s*<td>([-0-9.]+)</td>", page)
    return {label: float(value) for label, value in rows}


def test_report_scores_the_generated_rows_alone(data_dir, capsys, tmp_path):
    # resampled.csv holds the real rows, then copies of some, then generated rows.
    real = pd.read_csv(data_dir / "data.csv")
    written = pd.read_csv(data_dir / "resampled.csv")
    sampler = FairGANSampler.load(data_dir / "model.zip")
    n_generated = int(sampler.cell_counts_["n_generated"].sum())
    expected = quality_table(real, written.iloc[-n_generated:], random_state=0)
    out = tmp_path / "report"
    code, stdout, err = run(
        capsys, "report", data_dir / "data.csv", data_dir / "resampled.csv",
        "--target", "label", "--sensitive", "group", "--out", out,
    )  # fmt: skip
    assert code == 0, err
    n_copied = len(written) - len(real) - n_generated
    assert f"{len(real)} real rows, {n_copied} copies of real rows, " in stdout
    page = (out / "report.html").read_text()
    assert "What the generated rows change besides their cells" in page
    reported = quality_in_report(page)
    for label, value in expected["value"].items():
        assert reported[label] == pytest.approx(value, abs=0.01), label


def test_a_column_the_generated_rows_shift_is_named(capsys):
    warn_side_effects(pd.Series({"sex": 0.35, "race": 0.02}))
    err = capsys.readouterr().err
    assert "warning: the generated rows' sex (0.35) differ" in err
    assert "race" not in err


def test_mark_origin_names_every_row_as_the_report_infers_it(data_dir, tmp_path):
    out = tmp_path / "marked.csv"
    code = main(
        [
            "resample", str(data_dir / "data.csv"), "--target", "label",
            "--sensitive", "group", "-o", str(out), "--epochs", "1", "--quiet",
            "--copy-share", "0.5", "--mark-origin",
        ]
    )  # fmt: skip
    assert code == 0
    real, marked = pd.read_csv(data_dir / "data.csv"), pd.read_csv(out)
    assert set(marked["row_origin"]) == {"real", "copied", "generated"}
    assert (marked["row_origin"].iloc[: len(real)] == "real").all()
    inferred = row_origins(real, marked.drop(columns="row_origin"))
    np.testing.assert_array_equal(inferred, marked["row_origin"].to_numpy())


def test_report_adds_the_counterfactual_audit(
    data_dir, classifier_path, capsys, tmp_path
):
    out = tmp_path / "report"
    code, _, err = run(
        capsys, "report", data_dir / "data.csv", data_dir / "resampled.csv",
        "--target", "label", "--sensitive", "group", "--out", out,
        "--model", data_dir / "model.zip",
        "--classifier", classifier_path, "--trust-classifier",
    )  # fmt: skip
    assert code == 0, err
    assert matplotlib.image.imread(out / "counterfactual_flips.png").ndim == 3
    page = (out / "report.html").read_text()
    assert "Counterfactual audit" in page and "flip_rate" in page


def test_demo_quick_writes_its_report(tmp_path, capsys):
    out = tmp_path / "demo"
    code, stdout, err = run(
        capsys, "demo", "--quick", "--rows", 400, "--epochs", 1, "--out", out,
        "--strength-sweep", 2, "--quiet",
    )  # fmt: skip
    assert code == 0, err
    for step in ("[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]"):
        assert step in stdout
    assert "no resampling" in stdout and "dp_difference[sex]" in stdout
    names = {path.name for path in out.iterdir()}
    assert {"report.html", "selection_rates.png", "tradeoff.png"} <= names
    for png in out.glob("*.png"):
        assert matplotlib.image.imread(png).ndim == 3


def test_demo_variants_each_set_every_generation_parameter():
    from argparse import Namespace

    from fairsynth.cli._demo import variants

    chosen = variants(Namespace(strength_sweep=[2.0]))
    assert chosen["parity"]["parity_strength"] == 1.0
    assert chosen["parity, copies"]["copy_share"] == 1.0
    assert {frozenset(params) for params in chosen.values()} == {
        frozenset(
            {"sampling_strategy", "parity_strength", "boundary_focus", "copy_share"}
        )
    }
