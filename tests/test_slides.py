"""Slides: every notebook cell has slide metadata, and the offline decks load nothing remote."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from coursekit import slides

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
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
        slides.build_decks(REPO / "notebooks", out, npm_dir=NPM_DIR)
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
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("1")]
    notebook.cells[0].metadata["slideshow"] = {"slide_type": "slide"}
    notebook.cells[1].metadata["slideshow"] = {"slide_type": "Slide"}
    nbformat.write(notebook, tmp_path / "bad.ipynb")
    with pytest.raises(ValueError, match=r"bad.ipynb, cell 1: slide_type is 'Slide'"):
        slides.notebook_to_deck(tmp_path / "bad.ipynb", tmp_path)


def test_missing_npm_is_explained(tmp_path, monkeypatch):
    monkeypatch.setattr(slides.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="needs npm"):
        slides.fetch_libraries(tmp_path / "npm")


def test_command_line_reports_a_missing_folder(tmp_path, capsys):
    assert slides.main([str(tmp_path / "nowhere"), str(tmp_path / "out")]) == 1
    assert "no .ipynb files" in capsys.readouterr().err
