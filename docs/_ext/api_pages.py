"""Write one API reference page per public package, listing its ``__all__``.

The pages are written when the configuration is read, before autosummary generates
a page per name, so the reference follows the code: a name added to a package's
``__all__`` appears without editing the docs, and one without a page is impossible.
"""

import importlib
import inspect
import re
from pathlib import Path

#: Every public package, in the order of the reference. ``tests/docs`` checks that
#: no package of fairsynth is missing.
PACKAGES = (
    "fairsynth",
    "fairsynth.datasets",
    "fairsynth.metrics",
    "fairsynth.report",
    "fairsynth.cli",
    "fairsynth.sampler",
    "fairsynth.adversarial",
    "fairsynth.mixing",
    "fairsynth.discovery",
    "fairsynth.preprocessing",
    "fairsynth.nn",
    "fairsynth.gan",
)
#: Where a package's sections do not follow its private modules' names: the order
#: a reader needs them in.
SECTION_ORDER = {
    "fairsynth.metrics": ["_fairness", "_report", "_scorers", "_quality", "_detection",
                          "_privacy", "_summary"],
    "fairsynth.report": ["_html", "_sections", "_figures"],
}  # fmt: skip
API = Path(__file__).parents[1] / "api"
# scikit-learn adds set_fit_request and the like to every estimator; its own docs
# explain metadata routing, and their docstrings link into its glossary.
ROUTING_METHOD = re.compile(r"set_\w+_request$")
# "of shape (n_samples, n_features_in_)": a fitted attribute's trailing underscore
# would make a reST link.
SHAPE = re.compile(r"shape \(([^)]*)\)")


def section_heading(module_name):
    """Return a heading and a sentence from a private module's docstring.

    ``"Privacy checks: how close synthetic rows come to real ones."`` gives the
    heading "Privacy checks" and the sentence "How close synthetic rows come to real
    ones."; a first line without a colon is all heading.
    """
    doc = inspect.getdoc(importlib.import_module(module_name)) or module_name
    title, _, rest = doc.splitlines()[0].rstrip(".").partition(": ")
    lines = heading(title, "-")
    return lines + ([rest[0].upper() + rest[1:] + ".", ""] if rest else [])


def section_order(package_name, module_name):
    """Return the sort key of a private module's section in its package's page."""
    order = SECTION_ORDER.get(package_name, [])
    short = module_name.rsplit(".", 1)[1]
    return (order.index(short) if short in order else len(order), module_name)


def heading(text, underline):
    """Return the lines of a reST heading."""
    return [text, underline * len(text), ""]


def public_names(package):
    """Return the names of ``__all__`` that get a page (not dunder names)."""
    return [name for name in package.__all__ if not name.startswith("__")]


def package_page(package_name, documented):
    """Return the reST of a package's page; ``documented`` maps ids to names.

    A name that an earlier package already documents (a re-export, such as
    ``fairsynth.sampler.FairGANSampler``) links to that page instead of repeating it.
    """
    package = importlib.import_module(package_name)
    lines = [
        *heading(package_name, "="),
        f".. automodule:: {package_name}",
        "   :no-members:",
        "",
        f".. currentmodule:: {package_name}",
        "",
    ]
    sections, links = {}, []
    for name in public_names(package):
        obj = getattr(package, name)
        if id(obj) in documented:
            links.append(f"- :py:obj:`{documented[id(obj)]}`")
            continue
        documented[id(obj)] = f"{package_name}.{name}"
        sections.setdefault(obj.__module__, []).append(name)
    if "__version__" in package.__all__:
        lines += [
            ".. py:data:: __version__",
            "",
            "   The installed version of fairsynth, a string such as ``'0.1.0'``.",
            "",
        ]
    for module_name in sorted(sections, key=lambda m: section_order(package_name, m)):
        names = sections[module_name]
        # Headings only group several names; one name per section needs none.
        if len(sections) < sum(map(len, sections.values())):
            lines += section_heading(module_name)
        members = [f"   {name}" for name in names]
        lines += [".. autosummary::", "   :toctree: generated/", "", *members, ""]
    if links:
        lines += ["Also exported here, and documented under their shorter name:", ""]
        lines += [*links, ""]
    return "\n".join(lines)


def write_pages(app, config):
    """Write ``api/<package>.rst`` for every package of :data:`PACKAGES`.

    Autosummary's pages of names that are no longer documented are removed: a
    page left from a name that was renamed fails the build, as its import does.
    """
    documented = {}
    for package_name in PACKAGES:
        text = package_page(package_name, documented)
        path = API / f"{package_name}.rst"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    for stub in (API / "generated").glob("*.rst"):
        if stub.stem not in documented.values():
            stub.unlink()


def skip_routing_methods(app, what, name, obj, skip, options):
    """Leave scikit-learn's metadata-routing setters out of the class pages."""
    return True if ROUTING_METHOD.match(name) else None


def escape_shape_underscores(app, what, name, obj, options, lines):
    """Escape trailing underscores in the array shapes of a docstring."""

    def escape(match):
        return "shape (" + re.sub(r"(\w)_(?=,|$)", r"\1\\_", match.group(1)) + ")"

    lines[:] = [SHAPE.sub(escape, line) for line in lines]


def setup(app):
    """Register the page writer and the docstring filters with Sphinx."""
    app.connect("config-inited", write_pages)
    app.connect("autodoc-skip-member", skip_routing_methods)
    # Before numpydoc turns the sections into reST.
    app.connect("autodoc-process-docstring", escape_shape_underscores, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
