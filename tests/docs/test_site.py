"""The built docs site in headless Chromium: it opens, images render, search works.

The site is the one in ``$FAIRSYNTH_DOCS_HTML`` when set (CI builds it once, with
warnings as errors, and passes it here); otherwise the test builds it. It is served
on 127.0.0.1, as a docs host would serve it, with a checking page beside it that
loads each page in a frame and reports what it finds.
"""

import functools
import html
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import matplotlib.image
import pytest
from _docs import DOCS
from _helpers import run_chromium

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("chromium") is None, reason="chromium is not installed"
    ),
]
CHECK_PAGE = "/__check__.html"
# Loads ?page= in a frame, waits until an element that ?wait= (a CSS selector)
# matches holds the text ?until= and every image has loaded, or 15 s of page time
# pass, then reports the frame's title, the elements that ?select= matches (their
# links or texts), and every image.
CHECK_HTML = """<!DOCTYPE html><html><body><script>
const params = new URLSearchParams(location.search);
const frame = document.createElement("iframe");
frame.width = 1400; frame.height = 6000;
frame.src = params.get("page");
document.body.appendChild(frame);
function report() {
  const doc = frame.contentDocument;
  const images = [...doc.images].map(i => ({src: i.getAttribute("src"),
    complete: i.complete, width: i.naturalWidth}));
  const matches = [...doc.querySelectorAll(params.get("select"))].map(
    e => e.getAttribute("href") || e.textContent);
  const out = document.createElement("pre");
  out.id = "result";
  out.textContent = JSON.stringify({title: doc.title, matches, images});
  document.body.appendChild(out);
}
frame.onload = () => {
  const start = Date.now();
  (function poll() {
    const doc = frame.contentDocument;
    const until = params.get("until") || "";
    const done = [...doc.querySelectorAll(params.get("wait"))].some(
      e => e.textContent.includes(until)) && [...doc.images].every(i => i.complete);
    if (done || Date.now() - start > 15000) report(); else setTimeout(poll, 100);
  })();
};
</script></body></html>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built HTML site."""
    built = os.environ.get("FAIRSYNTH_DOCS_HTML")
    if built:
        return os.path.abspath(built)
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme"):
        pytest.importorskip(module, reason='the docs extra: pip install -e ".[docs]"')
    out = tmp_path_factory.mktemp("html")
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(DOCS), str(out)],
        check=True, env={**os.environ, "MPLBACKEND": "Agg"}, timeout=900,
    )  # fmt: skip
    return str(out)


class _Handler(SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith(CHECK_PAGE):
            body = CHECK_HTML.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    """The site's address on 127.0.0.1."""
    handler = functools.partial(_Handler, directory=site)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def inspect_page(server, tmp_path, page, select, wait=None, until=""):
    """What the checking page reports on ``page``, once ``wait`` holds ``until``.

    ``select`` and ``wait`` are CSS selectors; ``wait`` is ``select`` by default.
    """
    query = f"page={quote('/' + page)}&select={quote(select)}"
    query += f"&wait={quote(wait or select)}&until={quote(until)}"
    url = f"{server}{CHECK_PAGE}?{query}"
    result = run_chromium(
        tmp_path / "profile", "--virtual-time-budget=30000", "--dump-dom", url,
        text=True, timeout=120,
    )  # fmt: skip
    found = re.search(r'<pre id="result">(.*?)</pre>', result.stdout, re.S)
    assert found, f"the checking page reported nothing on {page}"
    return json.loads(html.unescape(found.group(1)))


def screenshot(server, tmp_path, page):
    """A 1300x1600 screenshot of ``page``, as an array of pixels."""
    path = tmp_path / "screenshot.png"
    run_chromium(
        tmp_path / "profile", f"--screenshot={path}", "--window-size=1300,1600",
        f"{server}/{page}", timeout=120,
    )  # fmt: skip
    return matplotlib.image.imread(path)


def test_the_home_page_opens_with_its_navigation(server, tmp_path):
    report = inspect_page(server, tmp_path, "index.html", "nav a.nav-link")
    assert report["title"].startswith("fairsynth")
    links = " ".join(report["matches"])
    for page in ("getting_started", "user_guide", "auto_examples", "api", "benchmarks",
                 "scaling", "limitations", "changelog"):  # fmt: skip
        assert page in links
    image = screenshot(server, tmp_path, "index.html")
    assert image.shape[:2] == (1600, 1300) and image[..., :3].std() > 0.01


@pytest.mark.parametrize(
    ("page", "selector", "at_least"),
    [
        ("auto_examples/index.html", ".sphx-glr-thumbcontainer img", 2),
        ("auto_examples/plot_audit_adult.html", "img.sphx-glr-single-img", 1),
        ("auto_examples/plot_fair_resampling.html", "img.sphx-glr-single-img", 1),
        ("benchmarks/generated/fairness.html", "img", 2),
    ],
)
def test_images_render(server, tmp_path, page, selector, at_least):
    report = inspect_page(server, tmp_path, page, selector)
    assert len(report["matches"]) >= at_least, report
    broken = [image for image in report["images"] if not image["width"]]
    assert report["images"] and not broken, broken


def test_search_finds_the_pages_on_a_word(server, tmp_path):
    # Results appear one by one; the summary line says when the search is done.
    report = inspect_page(
        server,
        tmp_path,
        "search.html?q=contrary",
        "#search-results ul li a",
        wait="#search-results .search-summary",
        until="Search finished",
    )
    assert len(report["matches"]) >= 3
    assert any("user_guide/concepts" in href for href in report["matches"]), report


def test_formulas_are_typeset(server, tmp_path):
    page = "api/generated/fairsynth.metrics.demographic_parity_difference.html"
    report = inspect_page(server, tmp_path, page, "mjx-container")
    assert report["matches"], "MathJax did not typeset the formula"
