"""The API reference covers every public name, each with a runnable example."""

import importlib
import inspect
import pkgutil

import pytest
from _docs import DOCS, load_extension

import fairsynth

api_pages = load_extension("api_pages")


def public_packages():
    found = ["fairsynth"]
    for info in pkgutil.iter_modules(fairsynth.__path__, "fairsynth."):
        if info.ispkg and not info.name.rsplit(".", 1)[1].startswith("_"):
            found.append(info.name)
    return found


def test_every_public_package_has_a_page():
    assert sorted(api_pages.PACKAGES) == sorted(public_packages())
    index = (DOCS / "api" / "index.rst").read_text()
    for name in api_pages.PACKAGES:
        assert f"\n   {name}\n" in index, f"{name} is missing from docs/api/index.rst"


def public_objects():
    for name in api_pages.PACKAGES:
        package = importlib.import_module(name)
        for public in api_pages.public_names(package):
            yield name, public, getattr(package, public)


def test_pages_list_every_public_name_once():
    documented = {}
    for name in api_pages.PACKAGES:
        page = api_pages.package_page(name, documented)
        package = importlib.import_module(name)
        for public in api_pages.public_names(package):
            # Either its own entry in an autosummary table or a link to the page of
            # the package that documents it.
            assert f"\n   {public}\n" in page or f"{public}`" in page, (name, public)
    # One page per object: re-exports are not documented twice.
    assert len(documented) == len({id(obj) for _, _, obj in public_objects()})
    assert ".. py:data:: __version__" in api_pages.package_page("fairsynth", {})


def test_a_re_export_links_to_the_shorter_name():
    documented = {}
    api_pages.package_page("fairsynth", documented)
    page = api_pages.package_page("fairsynth.sampler", documented)
    assert ":py:obj:`fairsynth.FairGANSampler`" in page
    summary = page.split(".. autosummary::")[1].split("Also exported here")[0]
    assert "sample_partitions" in summary and "FairGANSampler" not in summary


@pytest.mark.parametrize(
    ("package", "name", "obj"),
    [pytest.param(*entry, id=f"{entry[0]}.{entry[1]}") for entry in public_objects()],
)
def test_every_public_name_has_an_example(package, name, obj):
    has_example = ">>>" in (inspect.getdoc(obj) or "")
    assert has_example, f"{package}.{name}'s docstring has no Examples section"
