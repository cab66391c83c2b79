"""The Benchmarks pages are written from benchmarks/results/, numbers included."""

import json

import pytest
from _docs import ROOT, load_extension

benchmark_pages = load_extension("benchmark_pages")
RESULTS = ROOT / "benchmarks" / "results"


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    benchmark_pages.build_pages(RESULTS, out)
    return out


def test_every_result_file_gets_a_page_with_its_command(pages):
    for path in RESULTS.glob("*.json"):
        page = (pages / f"{path.stem}.md").read_text()
        command = json.loads(path.read_text())["command"]
        assert "\n# " in page and f"`{command}`" in page
    figures = {p.name for p in RESULTS.glob("*.png")}
    assert figures and figures <= {p.name for p in pages.iterdir()}


def test_known_results_have_their_titles(pages):
    page = (pages / "fairness.md").read_text()
    assert "\n# Against other mitigations: Adult\n" in page
    assert set(benchmark_pages.PAGES) <= {p.stem for p in RESULTS.glob("*.json")}


def test_the_summary_reads_the_figures_from_the_json(pages):
    summary = (pages / "summary.rst.inc").read_text()
    rows = json.loads((RESULTS / "fairness.json").read_text())["rows"]
    none_lr = next(
        r
        for r in rows
        if (r["dataset"], r["attribute"], r["method"], r["model"])
        == ("adult", "sex", "none", "logistic")
    )
    cell = f"{none_lr['accuracy_mean']:.3f} / {none_lr['dp_difference_mean']:.3f}"
    assert f"   * - no mitigation\n     - {cell}\n" in summary
    assert "- **compas / race**: " in summary


@pytest.mark.parametrize(
    ("method", "label"),
    [
        ("none", "no mitigation"),
        ("fairgan_parity_s1",
         "FairGANSampler, generated rows, strength 1, focus auto"),
        ("fairgan_copies_s0.5_f2",
         "FairGANSampler, copies, strength 0.5, focus 2"),
        ("fairgan_synthetic_l5",
         "FairGANSampler, fully generated table, lambda_fair 5"),
        ("fairgan_synthetic_f0.5",
         "FairGANSampler, fully generated table, label_fairness 0.5"),
        ("adversarial_l20", "AdversarialFairClassifier, lambdas 20"),
        ("something_new", "something_new"),
    ],
)  # fmt: skip
def test_method_labels(method, label):
    assert benchmark_pages.method_label(method) == label
