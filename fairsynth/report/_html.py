"""A self-contained HTML report: figures embedded as PNG, with PNG copies beside it."""

import base64
import html
import io
from dataclasses import dataclass, field
from pathlib import Path

from .._files import atomic_path

DPI = 100
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto;
       padding: 0 1em; color: #222; }
h1 { border-bottom: 2px solid #0072B2; padding-bottom: .2em; }
h2 { margin-top: 2em; color: #0072B2; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: right; }
th { background: #f0f4f8; }
figcaption, .note { color: #555; font-size: 0.9em; }
"""


@dataclass
class Section:
    """A heading, some text, then tables and figures.

    ``figures`` maps a file stem (``"selection_rates"``) to a matplotlib figure,
    and ``captions`` a stem to the sentence that says what its figure shows;
    ``tables`` maps a caption to a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> section = Section(
    ...     "Audit", "Rates per group.", tables={"rates": pd.DataFrame({"rate": [0.1]})}
    ... )
    >>> section.heading, list(section.tables)
    ('Audit', ['rates'])
    """

    heading: str
    text: str = ""
    tables: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    captions: dict = field(default_factory=dict)


def png_bytes(figure):
    """Render a figure to PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _table_html(caption, table):
    body = table.to_html(float_format=lambda v: f"{v:.3f}", na_rep="–", border=0)
    return f"<h3>{html.escape(caption)}</h3>\n{body}"


def _figure_html(stem, data, caption):
    encoded = base64.b64encode(data).decode("ascii")
    text = html.escape(caption or stem)
    return (
        f'<figure><img alt="{text}" src="data:image/png;base64,{encoded}">'
        f"<figcaption>{text} ({html.escape(stem)}.png)</figcaption></figure>"
    )


def _section_html(section, images):
    parts = [f"<h2>{html.escape(section.heading)}</h2>"]
    if section.text:
        parts.append(f'<p class="note">{html.escape(section.text)}</p>')
    parts += [_table_html(c, t) for c, t in section.tables.items()]
    parts += [
        _figure_html(stem, images[stem], section.captions.get(stem))
        for stem in section.figures
    ]
    return "\n".join(parts)


def render_html(title, sections, images, *, intro=""):
    """Return the report's HTML text, every image inlined."""
    body = "\n".join(_section_html(section, images) for section in sections)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p>\n"
        f"{body}\n</body></html>\n"
    )


def report_files(out_dir, sections):
    """List the paths a report in ``out_dir`` writes: the HTML and every PNG.

    Examples
    --------
    >>> report_files("out", [Section("Rates", figures={"base_rates": None})])
    [PosixPath('out/report.html'), PosixPath('out/base_rates.png')]
    """
    out_dir = Path(out_dir)
    stems = [stem for section in sections for stem in section.figures]
    return [out_dir / "report.html", *(out_dir / f"{stem}.png" for stem in stems)]


def _write_atomic(path, data):
    """Write bytes to ``path`` through a temporary file beside it."""
    with atomic_path(path) as temporary:
        Path(temporary).write_bytes(data)


def write_report(out_dir, title, sections, *, intro="", force=False):
    """Write ``report.html`` and one PNG per figure into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder for the report; created when missing.
    title : str
        Page title.
    sections : list of Section
        The report's content, in order.
    intro : str, default=""
        A paragraph under the title.
    force : bool, default=False
        Overwrite files left by an earlier report; otherwise they raise
        FileExistsError.

    Returns
    -------
    Path
        The HTML file.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> sections = [Section("Scores", tables={"accuracy": pd.DataFrame({"v": [0.9]})})]
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_report(folder, "My report", sections)
    ...     path.name, "My report" in path.read_text()
    ('report.html', True)
    """
    out_dir = Path(out_dir)
    existing = [p for p in report_files(out_dir, sections) if p.exists()]
    if existing and not force:
        raise FileExistsError(
            f"{existing[0]}: already exists; pass --force to overwrite it."
        )
    images = {stem: png_bytes(fig) for s in sections for stem, fig in s.figures.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    for stem, data in images.items():
        _write_atomic(out_dir / f"{stem}.png", data)
    path = out_dir / "report.html"
    # The page last, so that a report.html always comes with its PNGs.
    _write_atomic(path, render_html(title, sections, images, intro=intro).encode())
    return path
