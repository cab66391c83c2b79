"""Sphinx configuration of the fairsynth documentation.

Build it from the repository root with ``sphinx-build -W docs docs/_build/html``.
``FAIRSYNTH_DOCS_QUICK=1`` skips running the gallery's examples (their pages are
built without outputs), for a fast look at the text.
"""

import os
import sys
from pathlib import Path

import fairsynth

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "fairsynth"
author = "the fairsynth developers"
copyright = "2025, the fairsynth developers"
release = fairsynth.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    # MathJax served with the site, so that formulas render without a network.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "api_pages",
    "benchmark_pages",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"

# The API reference: one page per public name, from each package's __all__.
autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Links to the libraries fairsynth builds on. Off by default: the build machines
# have no network, and unreachable inventories would be warnings.
intersphinx_mapping = {}
if os.environ.get("FAIRSYNTH_DOCS_INTERSPHINX"):
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "pandas": ("https://pandas.pydata.org/docs", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "imblearn": ("https://imbalanced-learn.org/stable", None),
    }

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "plot_gallery": "False" if os.environ.get("FAIRSYNTH_DOCS_QUICK") else "True",
    "abort_on_example_error": True,
    "backreferences_dir": "api/generated/backreferences",
    "doc_module": ("fairsynth",),
    "reference_url": {"fairsynth": None},
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "matplotlib_animations": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"fairsynth {release}"
html_static_path = ["_static"]
html_css_files = ["fairsynth.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 8,
}
html_sidebars = {"changelog": [], "getting_started": [], "limitations": []}

myst_heading_anchors = 3
