"""The course website (``make site``, site/build_site.py): built once, then read in Chromium.

The site is built from the repository's notebooks into a temporary folder (no notebook
runs: 5 to 20 s), served on 127.0.0.1, and opened in Debian's Chromium with every request
that leaves the server blocked and recorded: every page loads without errors, every image
and animation is there, math is typeset by the bundled MathJax, every local link resolves,
search and navigation work. Building needs MathJax from npm once (build/npm, shared with
the offline decks). The tests of the built site are marked ``slow`` (build and browser: 45 s to
a minute here; ``make test`` runs them with COURSEKIT_SLOW_TESTS=1, ``.ci/run`` always) and
the browser ones ``e2e`` like tests/test_e2e.py; the other tests need no build.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import io
import json
import re
import shutil
import sys
import threading
import warnings
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from conftest import NOTEBOOKS, NOTEBOOKS_DIR, REPO
from PIL import Image
from test_e2e import IMAGE_LOADED

from coursekit.course.links import Course, read_course

sys.path.insert(0, str(REPO / "site"))
import build_site  # noqa: E402  (site/build_site.py is a script, not part of the package)

REPOSITORY = "https://github.com/someone/video-course"
COURSE = Course(REPOSITORY, "1.2")
PAGES = ["index", *[notebook.stem for notebook in NOTEBOOKS]]
README_SAMPLE = """# A course

[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://x.org/a)
Intro with [a section](#exercises), [a notebook](notebooks/01_a.ipynb), [a file](data/README.md)
and [the web](https://example.org).

```bash
## not a heading: inside a code block
```

## First section

not in the introduction
"""


# ---------------------------------------------------------------------------------------------
# What the pages say, without building
# ---------------------------------------------------------------------------------------------

def test_readme_introduction_is_the_text_before_the_first_section():
    title, intro = build_site.readme_introduction(README_SAMPLE)
    assert title == "A course"
    assert "## not a heading" in intro and "Intro with" in intro
    assert "First section" not in intro and "not in the introduction" not in intro


def test_readme_without_title_is_a_clear_error():
    with pytest.raises(ValueError, match="no '# Title' line"):
        build_site.readme_introduction("Some text\n\n## Section\n")


def test_remote_images_become_their_alt_text_and_svg_badges_html():
    svg = "data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%2F%3E"
    text = build_site.site_markdown(
        "[![Open in Colab](https://c.org/badge.svg)](https://c.org/nb) "
        '<img src="https://b.org/badge.svg" alt="Binder"> ![local](figure.png) '
        f"[![launch]({svg})](https://mybinder.org/x) ![alone]({svg})")
    assert text == (
        "[Open in Colab](https://c.org/nb) Binder ![local](figure.png) "
        f'<a href="https://mybinder.org/x"><img src="{svg}" alt="launch" class="course-badge"/>'
        f'</a> <img src="{svg}" alt="alone" class="course-badge"/>')


def test_readme_links_point_to_pages_or_to_the_repository():
    _, intro = build_site.readme_introduction(README_SAMPLE)
    fixed = build_site.site_links(intro, ["01_a.ipynb"], COURSE)
    assert f"[a section]({REPOSITORY}#exercises)" in fixed
    assert "[a notebook](01_a.ipynb)" in fixed
    assert f"[a file]({REPOSITORY}/blob/v1.2/data/README.md)" in fixed
    assert "[the web](https://example.org)" in fixed
    offline = build_site.site_links(intro, ["01_a.ipynb"], None)
    assert "a section" in offline and "#exercises" not in offline and "data/README" not in offline


def test_links_cell_adds_the_launch_links_a_notebook_lacks_and_both_downloads():
    colab, binder = build_site.launch_urls(COURSE, "03_x.ipynb").values()
    assert colab == COURSE.colab_url("03_x.ipynb") and binder == COURSE.binder_url("03_x.ipynb")
    cell = build_site.links_cell("03_x.ipynb", COURSE, f"[badge]({colab})")
    assert colab not in cell["source"] and html.escape(binder) in cell["source"]
    assert 'href="downloads/student/03_x.ipynb"' in cell["source"]
    assert 'href="downloads/instructor/03_x.ipynb"' in cell["source"]
    assert "mybinder" not in build_site.links_cell("03_x.ipynb", None, "")["source"]


def test_site_notebook_adds_links_folds_solutions_and_drops_widgets():
    notebook = json.loads(NOTEBOOKS[0].read_text(encoding="utf-8"))
    page = build_site.site_notebook(notebook, NOTEBOOKS[0].name, COURSE)
    assert len(page["cells"]) == len(notebook["cells"]) + 1
    links = page["cells"][1]
    assert links["id"] == build_site.LINKS_CELL_ID and "slideshow" in links["metadata"]
    solutions = [c for c in page["cells"] if "solution" in c["metadata"].get("tags", [])]
    assert solutions and all("hide-input" in c["metadata"]["tags"] for c in solutions)
    assert not any("hide-input" in c["metadata"].get("tags", []) for c in notebook["cells"])
    outputs = [o for c in page["cells"] for o in c.get("outputs", [])]
    assert not any(build_site.WIDGET_MIME in o.get("data", {}) for o in outputs)


def test_pyproject_without_a_github_address_builds_without_launch_links(tmp_path, capsys):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\nversion = "1.2"\n'
                         f'[project.urls]\nRepository = "{REPOSITORY}"\n')
    assert build_site.course_or_none(pyproject) == COURSE
    pyproject.write_text('[project]\nname = "x"\nversion = "1.2"\n')
    assert build_site.course_or_none(pyproject) is None
    assert "no Colab or Binder links" in capsys.readouterr().err


def test_pages_workflow_builds_with_make_site_and_deploys():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "pages.yml").read_text())
    text = json.dumps(workflow)
    assert "make site" in text
    assert "actions/upload-pages-artifact" in text and "actions/deploy-pages" in text
    uploads = [step for job in workflow["jobs"].values() for step in job["steps"]
               if step.get("uses", "").startswith("actions/upload-pages-artifact")]
    assert [step["with"]["path"] for step in uploads] == ["build/site"]
    assert workflow["permissions"]["pages"] == "write"


# ---------------------------------------------------------------------------------------------
# The built site, as files
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The website built once from the repository's notebooks (needs npm the first time)."""
    out = tmp_path_factory.mktemp("site") / "site"
    try:
        with warnings.catch_warnings():  # the themes use APIs Sphinx 11 removes: not ours
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            return build_site.build_site(out)
    except RuntimeError as error:
        if "npm" in str(error) and shutil.which("npm") is None:
            pytest.skip(f"cannot fetch MathJax: {error}")
        raise


@pytest.mark.slow
def test_every_notebook_has_a_page_and_both_downloads(site):
    for notebook in NOTEBOOKS:
        assert (site / f"{notebook.stem}.html").is_file()
        instructor = site / "downloads" / "instructor" / notebook.name
        assert instructor.read_bytes() == notebook.read_bytes()
        student = json.loads((site / "downloads" / "student" / notebook.name).read_text())
        tags = [t for c in student["cells"] for t in c["metadata"].get("tags", [])]
        assert "solution" not in tags and "exercise" in tags
        assert not any(c.get("outputs") for c in student["cells"])


def test_failed_build_leaves_the_previous_site(tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("the previous site")
    readme = tmp_path / "README.md"
    readme.write_text("no title\n")
    with pytest.raises(ValueError):
        build_site.build_site(out, readme=readme)
    assert (out / "index.html").read_text() == "the previous site"


# ---------------------------------------------------------------------------------------------
# The built site in Chromium, served on 127.0.0.1, nothing else reachable
# ---------------------------------------------------------------------------------------------

class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def visit(browser, server):
    """visit(path) -> (page, record): the page loaded with every non-local request blocked;
    record holds the blocked and failed requests and the console and page errors."""
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    record = {"blocked": [], "failed": [], "errors": []}

    def local_only(route):
        url = route.request.url
        if url.startswith((server, "data:", "blob:")):
            route.continue_()
        else:
            record["blocked"].append(url)
            route.abort()

    def open_page(path: str):
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.route("**/*", local_only)
        page.on("requestfailed", lambda request: record["failed"].append(request.url[:120]))
        page.on("pageerror", lambda error: record["errors"].append(str(error)))
        page.on("console", lambda message: record["errors"].append(message.text)
                if message.type == "error" else None)
        page.goto(server + path, wait_until="load")
        return page, record

    yield open_page
    context.close()


def _stored_outputs(notebook: Path) -> tuple[int, int]:
    """(figures, animations) stored in a notebook: image outputs, animate() outputs."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    outputs = [o.get("data", {}) for c in cells for o in c.get("outputs", [])]
    figures = sum(1 for data in outputs if {"image/png", "image/svg+xml"} & set(data))
    animations = sum("coursekit-animation" in "".join(data.get("text/html", ""))
                     for data in outputs)
    return figures, animations


def _has_math(path: Path) -> bool:
    if not path.exists():
        return False
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return any(re.search(r"\$[^$\s]", "".join(c["source"]))
               for c in cells if c["cell_type"] == "markdown")


def _check_figures_animations_and_math(page, notebook: Path) -> None:
    assert page.evaluate(f"[...document.images].every({IMAGE_LOADED})"), (
        "images that did not load: " + ", ".join(page.evaluate(
            f"[...document.images].filter(i => !({IMAGE_LOADED})(i)).map(i => i.src.slice(0, 80))"
        )))
    if notebook.exists():
        figures, animations = _stored_outputs(notebook)
        assert page.locator(".cell_output img").count() == figures + animations
        assert page.locator("img.coursekit-animation").count() == animations
    if _has_math(notebook):
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=10_000)
        page.evaluate("MathJax.startup.promise")
        assert page.locator("mjx-container").count() > 0, "MathJax typeset nothing"
        unrendered = page.evaluate(
            "[...document.querySelectorAll('.math')].filter(e => !e.querySelector("
            "'mjx-container') && !e.matches('mjx-container')).map(e => e.textContent)")
        assert unrendered == [], f"math left as text: {unrendered[:3]}"
        assert page.locator("mjx-merror").count() == 0, "MathJax could not typeset a formula"


def _check_local_links(page, site: Path, server: str) -> None:
    """Every link, script, style sheet and image of the page names a built file (and an
    existing id for a #fragment into a page)."""
    targets = page.evaluate("""[...document.querySelectorAll('a[href], link[href], [src]')]
        .map(e => e.href || e.src).filter(u => typeof u === 'string')""")
    missing = []
    for url in targets:
        if not url.startswith(server):
            continue
        parts = urlsplit(url)
        path = site / unquote(parts.path[len(urlsplit(server).path):])
        path = path / "index.html" if path.is_dir() else path
        if not path.is_file():
            missing.append(url)
        elif parts.fragment and path.suffix == ".html" and not re.search(
                f'id="{re.escape(unquote(parts.fragment))}"', path.read_text("utf-8")):
            missing.append(url)
    assert missing == [], f"links to nothing: {missing}"


def _check_launchers_downloads_and_neighbours(page, notebook: Path) -> None:
    course = read_course(REPO / "pyproject.toml")
    hrefs = page.evaluate("[...document.querySelectorAll('article a')]"
                          ".map(a => a.getAttribute('href'))")
    for url in build_site.launch_urls(course, notebook.name).values():
        assert hrefs.count(url) == 1, f"{url} is on the page {hrefs.count(url)} times"
    downloads = page.evaluate("[...document.querySelectorAll('.course-links a[download]')]"
                              ".map(a => a.getAttribute('href'))")
    assert downloads == [f"downloads/student/{notebook.name}",
                         f"downloads/instructor/{notebook.name}"]
    sidebar = page.evaluate("[...document.querySelectorAll('.bd-sidebar-primary "
                            "a.reference.internal:not(.nav-link)')]"
                            ".map(a => a.getAttribute('href'))")
    assert sidebar == ["index.html", *["#" if n == notebook else f"{n.stem}.html"
                                       for n in NOTEBOOKS]]
    index = NOTEBOOKS.index(notebook)
    previous = NOTEBOOKS[index - 1].stem if index else "index"
    assert page.locator("a.left-prev").get_attribute("href") == f"{previous}.html"
    following = page.locator("a.right-next")
    if index + 1 < len(NOTEBOOKS):
        assert following.get_attribute("href") == f"{NOTEBOOKS[index + 1].stem}.html"
    else:
        assert following.count() == 0


def _check_home_page(page) -> None:
    """The README's title and introduction, then the notebooks in order."""
    title, intro = build_site.readme_introduction((REPO / "README.md").read_text("utf-8"))
    sentence = next(line for line in intro.splitlines()
                    if re.fullmatch(r"[A-Za-z][\w ,.;:()-]{20,}", line.strip()))
    assert title in page.inner_text("article h1")
    assert " ".join(sentence.split()[:4]) in " ".join(page.inner_text("article").split())
    listed = page.evaluate("[...document.querySelectorAll('article .toctree-wrapper a')]"
                           ".map(a => a.getAttribute('href'))")
    assert listed == [f"{notebook.stem}.html" for notebook in NOTEBOOKS]


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("name", PAGES)
def test_page_loads_offline_complete_with_working_links(site, server, visit, name):
    page, record = visit(f"{name}.html")
    assert record["blocked"] == [], f"the page asked the network for {record['blocked']}"
    assert page.locator("article h1").first.inner_text().strip(), "the page has no title"
    notebook = NOTEBOOKS_DIR / f"{name}.ipynb"
    _check_figures_animations_and_math(page, notebook)
    _check_local_links(page, site, server)
    if notebook.exists():
        _check_launchers_downloads_and_neighbours(page, notebook)
    else:
        _check_home_page(page)
    assert record["blocked"] == [], f"the page asked the network for {record['blocked']}"
    assert record["failed"] == [], f"files the page needs are missing: {record['failed']}"
    assert record["errors"] == [], f"console errors: {record['errors']}"


@pytest.mark.slow
@pytest.mark.e2e
def test_search_finds_the_lstm_pages(visit):
    page, record = visit("search.html?q=LSTM")
    page.wait_for_selector("#search-results li", timeout=30_000)
    found = page.evaluate("[...document.querySelectorAll('#search-results li a')]"
                          ".map(a => a.getAttribute('href').split(/[?#]/)[0])")
    assert "04_rnn_lstm_gru.html" in found
    assert record["blocked"] == [] and record["errors"] == []


@pytest.mark.slow
@pytest.mark.e2e
def test_animation_is_a_gif_that_plays(visit):
    name = next(n.stem for n in NOTEBOOKS if _stored_outputs(n)[1])
    page, _ = visit(f"{name}.html")
    animation = page.locator("img.coursekit-animation").first
    source = animation.get_attribute("src")
    gif = Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1])))
    assert gif.format == "GIF" and gif.n_frames > 1
    animation.scroll_into_view_if_needed()
    frames = set()
    for _ in range(6):
        frames.add(hashlib.sha256(animation.screenshot()).hexdigest())
        page.wait_for_timeout(150)
    assert len(frames) > 1, "the animation shows the same picture for a second"


@pytest.mark.slow
@pytest.mark.e2e
def test_pages_open_from_files_without_a_server(site, browser):
    """Double-clicking build/site/index.html works too: pages, figures and math from file:."""
    context = browser.new_context()
    blocked, errors = [], []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
        ("file:", "data:")) else (blocked.append(route.request.url), route.abort()))
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    name = next(n.stem for n in NOTEBOOKS if _has_math(n))
    for path in ["index.html", f"{name}.html"]:
        page.goto((site / path).as_uri(), wait_until="load")
        assert page.evaluate(f"[...document.images].every({IMAGE_LOADED})")
    page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise",
                           timeout=10_000)
    page.evaluate("MathJax.startup.promise")
    assert page.locator("mjx-container").count() > 0
    context.close()
    assert blocked == [] and errors == []
