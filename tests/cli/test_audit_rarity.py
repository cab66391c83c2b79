import pytest

from fairsynth.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def data_path(tmp_path_factory, table):
    path = tmp_path_factory.mktemp("rarity") / "data.csv"
    table.to_csv(path, index=False)
    return path


def test_audit_lists_the_rarest_rows(data_path, capsys):
    code, out, err = run(
        capsys, "audit", data_path, "--target", "label", "--sensitive", "group",
        "--rarity", "--rarity-share", "0.2",
    )  # fmt: skip
    assert code == 0, err
    lifts = out.split("== Values over-represented among the rarest rows ==")[1]
    lifts = lifts.split("== Known groups")[0]
    header = lifts.strip().splitlines()[0].split()
    assert header == ["column", "value", "rare_rows", "share_rare", "share_all", "lift"]
    groups = out.split("== Known groups among the rarest rows ==")[1]
    assert "g0" in groups and "g1" in groups and "auc" in groups
    # The rarity model saw neither the label nor the group.
    listed = {line.split()[0] for line in lifts.strip().splitlines()[1:] if line}
    assert not listed & {"label", "group"}


def test_audit_writes_a_report_with_the_rarity_section(data_path, tmp_path, capsys):
    out_dir = tmp_path / "audit"
    code, out, err = run(
        capsys, "audit", data_path, "--target", "label", "--sensitive", "group",
        "--rarity", "--report", out_dir,
    )  # fmt: skip
    assert code == 0, err
    page = (out_dir / "report.html").read_text()
    assert "Rarest rows" in page and "Group rates" in page
    assert (out_dir / "rarity.png").exists() and (out_dir / "audit_rates.png").exists()
    assert f"Wrote the report to {out_dir / 'report.html'}" in out
    # A second run refuses to overwrite it, before any work.
    code, _, err = run(
        capsys, "audit", data_path, "--target", "label", "--sensitive", "group",
        "--report", out_dir,
    )  # fmt: skip
    assert code != 0 and "already exists; pass --force" in err


def test_audit_report_without_rarity(data_path, tmp_path, capsys):
    out_dir = tmp_path / "plain"
    code, _, err = run(
        capsys, "audit", data_path, "--target", "label", "--sensitive", "group",
        "--report", out_dir,
    )  # fmt: skip
    assert code == 0, err
    assert "Rarest rows" not in (out_dir / "report.html").read_text()


@pytest.mark.parametrize("share", ["0", "1", "-0.1", "1.5"])
def test_a_share_outside_zero_one_is_refused(data_path, capsys, share):
    code, _, err = run(
        capsys, "audit", data_path, "--target", "label", "--sensitive", "group",
        "--rarity", "--rarity-share", share,
    )  # fmt: skip
    assert code != 0
    assert f"--rarity-share must be between 0 and 1; got {float(share)}" in err


def test_a_column_the_encoder_cannot_take(tmp_path, table, capsys):
    path = tmp_path / "dates.parquet"
    dates = table.assign(when=__import__("pandas").Timestamp("2020-01-01"))
    dates.to_parquet(path)
    code, _, err = run(
        capsys, "audit", path, "--target", "label", "--sensitive", "group",
        "--rarity",
    )  # fmt: skip
    assert code != 0
    assert "--rarity: Column 'when' has dtype datetime64" in err
