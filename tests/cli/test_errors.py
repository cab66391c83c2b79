import os
import pickle
import signal
import subprocess
import sys

import joblib
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from fairsynth._files import atomic_path
from fairsynth.cli import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def resample_args(data, out, *extra):
    argv = ["resample", data, "--target", "label", "--sensitive", "group",
            "-o", out, "--epochs", 1, "--quiet", *extra]  # fmt: skip
    return [str(a) for a in argv]


def assert_one_line_error(code, err, *phrases):
    assert code == 1
    assert err.startswith("fairsynth: error: ")
    assert err.count("\n") == 1 and "Traceback" not in err
    for phrase in phrases:
        assert phrase in err


def test_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, *resample_args(tmp_path / "no.csv", tmp_path / "o.csv"))
    assert_one_line_error(code, err, "no.csv: no such file.")


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if a network trains."""
    from fairsynth.sampler import _training

    def refuse(*args, **kwargs):
        raise AssertionError("a network trained before the output was checked")

    monkeypatch.setattr(_training, "train_net", refuse)


def test_unknown_format(capsys, data_dir, tmp_path, no_training):
    code, _, err = run(
        capsys, *resample_args(data_dir / "data.csv", tmp_path / "o.xlsx")
    )
    assert_one_line_error(code, err, "o.xlsx: unknown table format")


def test_parquet_without_pyarrow_fails_before_training(
    capsys, data_dir, tmp_path, monkeypatch, no_training
):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    code, _, err = run(
        capsys, *resample_args(data_dir / "data.csv", tmp_path / "o.parquet")
    )
    assert_one_line_error(code, err, "install pyarrow")


@pytest.mark.parametrize(
    ("option", "value", "phrase"),
    [("--target", "income", "no column 'income' (from --target)"),
     ("--sensitive", "sex", "no column 'sex' (from --sensitive)"),
     ("--pred", "score", "no column 'score' (from --pred)")],
)  # fmt: skip
def test_unknown_column(option, value, phrase, capsys, data_dir):
    argv = {"--target": "label", "--sensitive": "group", "--pred": None}
    argv[option] = value
    flat = [item for key, v in argv.items() if v for item in (key, v)]
    code, _, err = run(capsys, "audit", data_dir / "data.csv", *flat)
    assert_one_line_error(code, err, phrase, "the columns are")


def test_bad_group_and_label_values(capsys, data_dir, tmp_path):
    model, out = data_dir / "model.zip", tmp_path / "o.csv"
    code, _, err = run(
        capsys, "sample", model, "-n", 5, "-o", out, "--group", "group=x"
    )
    assert_one_line_error(code, err, "'x' is not a group of 'group'", "g0, g1")
    code, _, err = run(capsys, "sample", model, "-n", 5, "-o", out, "--group", "g0")
    assert_one_line_error(code, err, "COLUMN=VALUE")
    code, _, err = run(capsys, "sample", model, "-n", 5, "-o", out, "--label", "7")
    assert_one_line_error(code, err, "'7' is not a class of the model")
    code, _, err = run(capsys, "sample", model, "-n", 0, "-o", out)
    assert_one_line_error(code, err, "-n must be a positive number")
    assert not out.exists()


def test_bad_option_value_is_a_usage_error(capsys, data_dir, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(
            resample_args(
                data_dir / "data.csv", tmp_path / "o.csv", "--parity-strength", "x"
            )
        )
    assert exit_info.value.code == 2
    assert "invalid float value: 'x'" in capsys.readouterr().err


def test_a_fit_too_large_for_memory_is_refused(capsys, data_dir, tmp_path, monkeypatch):
    from fairsynth.sampler import _training

    monkeypatch.setattr(_training, "available_memory", lambda: 1e6)
    out = tmp_path / "o.csv"
    code, _, err = run(capsys, *resample_args(data_dir / "data.csv", out))
    assert_one_line_error(code, err, "GB of memory", "Train on a sample of the rows")
    assert not out.exists()


@pytest.mark.parametrize(
    ("strategy", "phrase"),
    [
        ("x", "--strategy: cannot read 'x'; give a name (auto, parity, balance)"),
        ("g0:1=abc", "cannot read 'g0:1=abc'"),
        ("g9:1=200", "'g9' is not a group of 'group'; choose one of"),
        ("g0:7=200", "'7' is not a class of 'label'"),
        ("missing.csv", "--strategy missing.csv: no such file"),
    ],
)
def test_bad_cell_strategies(capsys, data_dir, tmp_path, no_training, strategy, phrase):
    args = resample_args(data_dir / "data.csv", tmp_path / "o.csv")
    code, _, err = run(capsys, *args, "--strategy", strategy)
    assert_one_line_error(code, err, phrase)


@pytest.mark.parametrize(
    ("item", "phrase"),
    [
        ("num_0", "write it as COLUMN=K, with K >= 2 bands"),
        ("num_0=1", "write it as COLUMN=K"),
        ("cat_0=3", "--bins cat_0: the column is not numeric"),
        ("nope=3", "nope"),
    ],
)
def test_bad_bins(capsys, data_dir, tmp_path, no_training, item, phrase):
    args = resample_args(data_dir / "data.csv", tmp_path / "o.csv")
    code, _, err = run(capsys, *args, "--bins", item)
    assert_one_line_error(code, err, phrase)


def test_sampler_errors_are_one_line(capsys, data_dir, tmp_path):
    code, _, err = run(
        capsys, *resample_args(data_dir / "data.csv", tmp_path / "o.csv", "--epochs", 0)
    )
    assert_one_line_error(code, err, "epochs")
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("command", ["resample", "demo"])
def test_cuda_without_a_gpu_names_the_flags(capsys, data_dir, tmp_path, command):
    if command == "resample":
        args = resample_args(data_dir / "data.csv", tmp_path / "o.csv")
    else:
        args = ["demo", "--quick", "--out", tmp_path / "report"]
    code, _, err = run(capsys, *args, "--device", "cuda")
    assert_one_line_error(
        code, err, "--device cuda: torch finds no CUDA device", "Use --device cpu"
    )
    assert not list(tmp_path.iterdir())


def test_an_unknown_device_is_named(capsys, data_dir, tmp_path):
    args = resample_args(data_dir / "data.csv", tmp_path / "o.csv", "--device", "gpu")
    code, _, err = run(capsys, *args)
    assert_one_line_error(code, err, "--device gpu: Expected one of cpu, cuda")


def test_not_a_model(capsys, data_dir, tmp_path):
    code, _, err = run(capsys, "sample", data_dir / "data.csv", "-n", 5, "-o",
                       tmp_path / "o.csv")  # fmt: skip
    assert_one_line_error(code, err, "not a saved model")


def test_a_pickled_model_is_refused_unread(capsys, tmp_path):
    # Model files were pickles before; loading one would run the code it carries.
    model, out = tmp_path / "model.pkl", tmp_path / "o.csv"
    model.write_bytes(pickle.dumps({"not": "run"}))
    code, _, err = run(capsys, "sample", model, "-n", 5, "-o", out)
    assert_one_line_error(code, err, "not a saved model but a pickle")
    assert not out.exists()


class _RunsCode:
    """Unpickling this writes a file: proof that loading ran the file's code."""

    def __init__(self, proof):
        self.proof = proof

    def __reduce__(self):
        return (open, (str(self.proof), "w"))


def audit_args(data_dir, *extra):
    return [
        "audit", data_dir / "data.csv", "--target", "label", "--sensitive", "group",
        *extra,
    ]  # fmt: skip


def test_an_untrusted_classifier_is_refused_unread(capsys, data_dir, tmp_path):
    classifier, proof = tmp_path / "classifier.pkl", tmp_path / "ran"
    classifier.write_bytes(pickle.dumps(_RunsCode(proof)))
    code, _, err = run(
        capsys, *audit_args(data_dir, "--model", data_dir / "model.zip",
                            "--classifier", classifier),
    )  # fmt: skip
    assert_one_line_error(code, err, "pass --trust-classifier")
    assert not proof.exists()


@pytest.mark.parametrize(
    ("extra", "phrase"),
    [
        (
            ["--classifier", "c.joblib", "--trust-classifier"],
            "--classifier needs --model",
        ),
        (["--model", "model.zip"], "pass --classifier too"),
    ],
)
def test_flip_rates_need_a_classifier_and_a_sampler(capsys, data_dir, extra, phrase):
    extra = [data_dir / e if e.endswith((".zip", ".joblib")) else e for e in extra]
    code, _, err = run(capsys, *audit_args(data_dir, *extra))
    assert_one_line_error(code, err, phrase)


@pytest.mark.filterwarnings("ignore:X has feature names:UserWarning")
def test_a_classifier_that_cannot_read_the_table(capsys, data_dir, tmp_path):
    path = tmp_path / "narrow.joblib"
    joblib.dump(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), path)
    code, _, err = run(
        capsys, *audit_args(data_dir, "--model", data_dir / "model.zip",
                            "--classifier", path, "--trust-classifier"),
    )  # fmt: skip
    assert_one_line_error(code, err, "could not predict the rows of the table")


def test_unwritable_output(capsys, data_dir, tmp_path):
    out = tmp_path / "missing" / "o.csv"
    code, _, err = run(capsys, *resample_args(data_dir / "data.csv", out))
    assert_one_line_error(code, err, "does not exist")


def test_existing_output_needs_force(capsys, data_dir, tmp_path):
    out = tmp_path / "o.csv"
    out.write_text("keep me\n")
    code, _, err = run(capsys, *resample_args(data_dir / "data.csv", out))
    assert_one_line_error(code, err, "already exists; pass --force")
    assert out.read_text() == "keep me\n"
    code, _, err = run(capsys, *resample_args(data_dir / "data.csv", out, "--force"))
    assert code == 0, err
    assert len(pd.read_csv(out)) > 300


def test_input_is_never_overwritten(capsys, data_dir, tmp_path):
    data = tmp_path / "data.csv"
    data.write_bytes((data_dir / "data.csv").read_bytes())
    code, _, err = run(capsys, *resample_args(data, data, "--force"))
    assert_one_line_error(code, err, "is an input file")
    assert data.read_bytes() == (data_dir / "data.csv").read_bytes()


def test_existing_report_needs_force(capsys, data_dir, tmp_path):
    (tmp_path / "report.html").write_text("old")
    data = data_dir / "data.csv"
    code, _, err = run(capsys, "report", data, data, "--target", "label",
                       "--sensitive", "group", "--out", tmp_path)  # fmt: skip
    assert_one_line_error(code, err, "report.html: already exists")


def test_report_names_the_columns_that_differ(capsys, data_dir, tmp_path):
    synthetic = tmp_path / "synthetic.csv"
    table = pd.read_csv(data_dir / "data.csv")
    table.rename(columns={"num_0": "age"}).to_csv(synthetic, index=False)
    code, _, err = run(capsys, "report", data_dir / "data.csv", synthetic,
                       "--target", "label", "--sensitive", "group",
                       "--out", tmp_path / "report")  # fmt: skip
    assert_one_line_error(
        code,
        err,
        "synthetic.csv: its columns differ from those of",
        "missing 'num_0'; unexpected 'age'.",
        "rename or drop columns",
    )


def test_debug_shows_the_traceback(capsys, tmp_path):
    code, _, err = run(capsys, "--debug", *resample_args(tmp_path / "no.csv", "o.csv"))
    assert code == 1
    assert "Traceback" in err and err.endswith("no.csv: no such file.\n")


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "o.csv") as temporary:
        with open(temporary, "w") as file:
            file.write("half")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_follows_the_umask(tmp_path):
    previous = os.umask(0o027)
    try:
        with atomic_path(tmp_path / "o.csv") as temporary, open(temporary, "w") as f:
            f.write("done")
    finally:
        os.umask(previous)
    assert [p.name for p in tmp_path.iterdir()] == ["o.csv"]
    assert (tmp_path / "o.csv").stat().st_mode & 0o777 == 0o640


def test_ctrl_c_during_training_writes_nothing(data_dir, tmp_path):
    out, model = tmp_path / "o.csv", tmp_path / "model.zip"
    argv = [sys.executable, "-m", "fairsynth", "resample", str(data_dir / "data.csv"),
            "--target", "label", "--sensitive", "group", "-o", str(out),
            "--epochs", "100000", "--save-model", str(model)]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)  # fmt: skip
    assert process.stdout.readline().startswith("Fitting FairGANSampler")
    # The progress bar appears once the epochs start, where skorch swallows Ctrl-C.
    seen, char = "", "."
    while "%|" not in seen and char:
        char = process.stderr.read(1)
        seen += char
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted; nothing was written" in err
    assert list(tmp_path.iterdir()) == []


def test_identifier_columns_stop_before_training(
    capsys, data_dir, tmp_path, no_training
):
    table = pd.read_csv(data_dir / "data.csv")
    table.assign(row_id=range(len(table))).to_csv(tmp_path / "ids.csv", index=False)
    code, _, err = run(capsys, *resample_args(tmp_path / "ids.csv", tmp_path / "o.csv"))
    assert_one_line_error(code, err, "'row_id' (an identifier", "--drop row_id")


def test_drop_leaves_the_named_columns_out(capsys, data_dir, tmp_path):
    table = pd.read_csv(data_dir / "data.csv")
    table.assign(row_id=range(len(table))).to_csv(tmp_path / "ids.csv", index=False)
    out = tmp_path / "o.csv"
    code, _, err = run(
        capsys, *resample_args(tmp_path / "ids.csv", out, "--drop", "row_id")
    )
    assert code == 0, err
    assert "row_id" not in pd.read_csv(out).columns
