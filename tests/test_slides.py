"""Slides: every notebook cell has slide metadata, and the offline decks load nothing remote."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from conftest import NOTEBOOKS, NOTEBOOKS_DIR, REPO
from notebook_samples import (
    BROKEN_NOTEBOOKS,
    assert_refused_and_untouched,
    notebook_folder,
    run_command,
    tiny_notebook,
)

from coursekit.course import deck_libraries, slides

NPM_DIR = REPO / "build" / "npm"  # shared with `make slides`, so npm runs at most once


def _cells(notebook: Path) -> list[dict]:
    return json.loads(notebook.read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_every_cell_has_a_valid_slide_type(notebook):
    bad = [
        (index, cell.get("metadata", {}).get("slideshow", {}).get("slide_type"))
        for index, cell in enumerate(_cells(notebook))
        if cell.get("metadata", {}).get("slideshow", {}).get("slide_type") not in slides.SLIDE_TYPES
    ]
    assert bad == [], (
        f"{notebook.name}: cells (index, slide_type) {bad} need "
        f'metadata["slideshow"]["slide_type"] in {slides.SLIDE_TYPES}'
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_deck_starts_with_a_title_slide(notebook):
    first = _cells(notebook)[0]
    assert first["cell_type"] == "markdown"
    assert first["metadata"]["slideshow"]["slide_type"] == "slide"
    assert "".join(first["source"]).lstrip().startswith("# ")


# ---------------------------------------------------------------------------------------------
# The offline decks (built once for this module, into a temporary folder)
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def deck_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    try:
        slides.build_decks(NOTEBOOKS_DIR, out, npm_dir=NPM_DIR)
    except RuntimeError as error:
        if shutil.which("npm") is None:
            pytest.skip(str(error))
        raise
    return out


class _Links(HTMLParser):
    """Collects every <script src>, <link href> and <img src> of a page."""

    def __init__(self):
        super().__init__()
        self.scripts, self.links, self.images = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])


def _links(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_one_deck_per_notebook_and_an_index(deck_dir):
    decks = sorted(p.stem for p in deck_dir.glob("*.html") if p.name != "index.html")
    assert decks == [n.stem for n in NOTEBOOKS]
    index = _links(deck_dir / "index.html")
    assert index.scripts == [] and index.links == []
    assert all(f'href="{n.stem}.html"' in (deck_dir / "index.html").read_text() for n in NOTEBOOKS)


@pytest.mark.parametrize("name", [n.stem for n in NOTEBOOKS])
def test_deck_loads_only_local_files_that_exist(deck_dir, name):
    deck = deck_dir / f"{name}.html"
    found = _links(deck)
    sources = found.scripts + found.links
    assert "lib/reveal.js/dist/reveal.js" in found.scripts
    assert "lib/mathjax/es5/tex-chtml-full.js" in found.scripts
    remote = [s for s in sources if re.match(r"^([a-z]+:)?//", s, re.IGNORECASE)]
    assert remote == [], f"{deck.name} loads {remote} from the network"
    missing = [s for s in sources if not (deck_dir / s).is_file()]
    assert missing == [], f"{deck.name} needs files that are not bundled: {missing}"
    remote_images = [s for s in found.images if not s.startswith("data:")]
    assert remote_images == [], f"{deck.name} shows images that are not embedded: {remote_images}"
    css_imports = re.findall(r"url\(\s*['\"]?((?:https?:)?//[^)'\"]+)", deck.read_text("utf-8"))
    assert css_imports == [], f"{deck.name} styles fetch {css_imports}"


def test_bundled_styles_fetch_nothing_remote(deck_dir):
    """The reveal.js theme and the notes plugin come with their fonts."""
    for css in (deck_dir / "lib").rglob("*.css"):
        remote = re.findall(r"(?:@import|url\()\s*['\"]?((?:https?:)?//[^)'\";]+)", css.read_text())
        if css.parent.name == "theme" and css.stem != "white":
            continue  # other reveal.js themes, not used by the decks, may load web fonts
        assert remote == [], f"{css} fetches {remote}"
    assert list((deck_dir / "lib/mathjax/es5/output/chtml/fonts/woff-v2").glob("*.woff"))


def test_deck_keeps_animations_and_replaces_widgets(deck_dir):
    """animate's GIF stays embedded; a widget (dead without a kernel) becomes a short note,
    except progress bars, which go."""
    for notebook in NOTEBOOKS:
        outputs = [o for c in _cells(notebook) if c["cell_type"] == "code" for o in c["outputs"]]
        html = (deck_dir / f"{notebook.stem}.html").read_text(encoding="utf-8")
        gifs = sum("coursekit-animation" in "".join(o.get("data", {}).get("text/html", ""))
                   for o in outputs)
        widgets = sum("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                      and "%|" not in "".join(o["data"].get("text/plain", ""))  # tqdm: dropped
                      for o in outputs)
        assert html.count('src="data:image/gif;base64,') >= gifs, notebook.name
        assert html.count("coursekit-widget-note\">") == widgets, notebook.name
        assert "# NBVAL_" not in html, f"{notebook.name}: nbval markers shown on the slides"


def test_bad_slide_type_names_the_cell(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("1")]
    notebook.cells[0].metadata["slideshow"] = {"slide_type": "slide"}
    notebook.cells[1].metadata["slideshow"] = {"slide_type": "Slide"}
    nbformat.write(notebook, tmp_path / "bad.ipynb")
    with pytest.raises(ValueError, match=r"bad.ipynb, cell 1: slide_type is 'Slide'"):
        slides.notebook_to_deck(tmp_path / "bad.ipynb", tmp_path)


def test_missing_npm_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on it
    with pytest.raises(RuntimeError, match="needs npm"):
        deck_libraries.fetch_libraries(tmp_path / "npm")


def test_command_line_reports_a_missing_folder(tmp_path, capsys):
    assert slides.main([str(tmp_path / "nowhere"), str(tmp_path / "out")]) == 2
    assert "no numbered notebooks (NN_*.ipynb)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_command_line_help():
    result = run_command("coursekit.course.slides", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m coursekit.course.slides")
    assert "notebook_dir" in result.stdout and "out_dir" in result.stdout


# ---------------------------------------------------------------------------------------------
# A broken notebook: a one-line error naming it, exit status 2, and no deck written
# ---------------------------------------------------------------------------------------------

def fake_npm(npm_dir: Path) -> Path:
    """reveal.js and MathJax laid out as npm would install them, with empty files: enough to
    build decks offline (they would not display). Returns npm_dir."""
    versions = {"reveal.js": deck_libraries.REVEAL_VERSION,
                "mathjax": deck_libraries.MATHJAX_VERSION}
    for package, version in versions.items():
        root = npm_dir / "node_modules" / package
        root.mkdir(parents=True)
        (root / "package.json").write_text(json.dumps({"version": version}))
        for part in deck_libraries.BUNDLED_FILES[package]:
            is_file = "." in Path(part).name or part == "LICENSE"
            target = root / part if is_file else root / part / "placeholder.txt"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("")
    return npm_dir


def test_builds_that_start_together_run_npm_once(tmp_path, monkeypatch):
    """make slides and make site at once, or the tests in parallel: one npm install, and
    the second build waits for it instead of installing over it."""
    runs, running = [], threading.Event()

    def slow_npm(npm_dir):
        assert not running.is_set(), "two npm installs at once"
        running.set()
        runs.append(npm_dir)
        time.sleep(0.5)
        fake_npm(npm_dir)
        running.clear()

    monkeypatch.setattr(deck_libraries, "_run_npm", slow_npm)
    found = []
    builds = [threading.Thread(target=lambda: found.append(
        deck_libraries.fetch_libraries(tmp_path / "npm"))) for _ in range(2)]
    for build in builds:
        build.start()
    for build in builds:
        build.join()
    assert runs == [tmp_path / "npm"]
    assert found == [tmp_path / "npm" / "node_modules"] * 2


@pytest.mark.parametrize("kind", BROKEN_NOTEBOOKS)
def test_command_line_names_a_broken_notebook_and_writes_nothing(tmp_path, kind):
    fake_npm(tmp_path / "npm")  # where the command looks, next to OUT: no npm, no network
    assert_refused_and_untouched("coursekit.course.slides", tmp_path, kind)


def test_a_broken_notebook_is_found_before_npm_runs(tmp_path, monkeypatch):
    def no_npm(npm_dir):
        raise AssertionError("fetch_libraries ran before every notebook was checked")

    monkeypatch.setattr(slides, "fetch_libraries", no_npm)
    broken = notebook_folder(tmp_path / "notebooks", BROKEN_NOTEBOOKS["not UTF-8"][0])
    with pytest.raises(ValueError, match=f"^{re.escape(str(broken))}: not UTF-8"):
        slides.build_decks(tmp_path / "notebooks", tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks"]


def test_decks_are_written_together_or_not_at_all(tmp_path, monkeypatch):
    """If the third deck cannot be made, the first two are not left behind either."""
    notebook_folder(tmp_path / "notebooks", nbformat.writes(tiny_notebook()).encode())
    real = slides.deck_exporter()
    made = []

    class FailsOnTheThird:
        def from_notebook_node(self, notebook, **kwargs):
            made.append(notebook)
            if len(made) == 3:
                raise RuntimeError("nbconvert failed")
            return real.from_notebook_node(notebook, **kwargs)

    monkeypatch.setattr(slides, "deck_exporter", FailsOnTheThird)
    with pytest.raises(RuntimeError, match="nbconvert failed"):
        slides.build_decks(tmp_path / "notebooks", tmp_path / "out",
                           npm_dir=fake_npm(tmp_path / "npm"))
    assert len(made) == 3
    assert not list(tmp_path.glob("out/*.html"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks", "npm"]  # no temp folder


def test_decks_join_the_files_already_in_the_output_folder(tmp_path):
    notebook_folder(tmp_path / "notebooks", nbformat.writes(tiny_notebook()).encode())
    nbformat.write(tiny_notebook(), tmp_path / "notebooks" / "Untitled.ipynb")  # gets no deck
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("not made by the build")
    decks = slides.build_decks(tmp_path / "notebooks", out, npm_dir=fake_npm(tmp_path / "npm"))
    names = ["01_good", "03_broken", "05_good"]  # 03 is not broken here
    assert decks == [out / f"{name}.html" for name in names]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{name}.html" for name in names] + ["index.html", "lib", "notes.txt"])
    assert "Café" in decks[0].read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks", "npm", "out"]


def test_a_progress_bar_is_dropped_and_another_widget_becomes_a_note(tmp_path):
    """Notebooks keep no widget state, so a tqdm bar is known by its text, not by its model."""
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("fit(...)")
    cell.outputs = [
        nbformat.v4.new_output("display_data", {
            "application/vnd.jupyter.widget-view+json": {"model_id": "a", "version_major": 2,
                                                         "version_minor": 0},
            "text/plain": "epoch 1/3:  40%|####      | 4/10 [00:01<00:01, 4.0it/s]"}),
        nbformat.v4.new_output("display_data", {
            "application/vnd.jupyter.widget-view+json": {"model_id": "b", "version_major": 2,
                                                         "version_minor": 0},
            "text/plain": "IntSlider(value=0)"}),
    ]
    notebook.cells = [nbformat.v4.new_markdown_cell("# Title"), cell]
    for each in notebook.cells:
        each.metadata["slideshow"] = {"slide_type": "slide"}
    nbformat.write(notebook, tmp_path / "bars.ipynb")
    html = slides.notebook_to_deck(tmp_path / "bars.ipynb", tmp_path).read_text()
    assert html.count('coursekit-widget-note">') == 1
    assert "it/s" not in html
