"""Offline slide decks: one reveal.js HTML file per notebook, built from its stored outputs.

    python -m coursekit.slides notebooks build/slides      (what ``make slides`` runs)

A deck needs no kernel and no network: reveal.js, MathJax and their fonts are copied into
``build/slides/lib/`` next to the decks, and every ``<script src>`` / ``<link href>`` is a
relative path. Copy the whole ``build/slides/`` folder to the lecture-hall laptop and open
``index.html`` (or any deck) in a browser.

reveal.js and MathJax come from the npm registry: the first build runs
``npm install --prefix build/npm reveal.js@REVEAL_VERSION mathjax@MATHJAX_VERSION`` (needs
Node.js and a network once); later builds reuse ``build/npm`` and work offline.

Each cell's ``slideshow.slide_type`` metadata (slide, subslide, fragment, -, skip, notes)
decides where it goes, exactly as in the live RISE slideshow. Widgets (``frame_player``) need
a running kernel, so a deck shows a short note in their place and drops progress bars;
``viewers.animate`` output is an embedded GIF and plays in the deck.

Every notebook is read and checked before npm runs or anything is written: a broken one
(not JSON, not UTF-8, not a valid notebook, a cell without a valid slide_type) stops the
build with a one-line error naming it, exit status 2, and ``build/slides`` stays as it was.
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import sys
from pathlib import Path

from coursekit.student import read_notebook, write_files_together

__all__ = ["REVEAL_VERSION", "MATHJAX_VERSION", "build_decks", "fetch_libraries",
           "notebook_to_deck"]

REVEAL_VERSION = "5.2.1"
MATHJAX_VERSION = "3.2.2"

SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")

# The files a deck loads, relative to each npm package, copied to lib/<package>/.
_BUNDLED = {
    "reveal.js": ["dist", "plugin/notes", "LICENSE"],
    "mathjax": ["es5/tex-chtml-full.js", "es5/output/chtml/fonts/woff-v2", "LICENSE"],
}

# A template on top of nbconvert's reveal template: the same slide structure, but every
# script and style sheet is local, and nothing needs require.js, jQuery or a CDN.
_TEMPLATE = r"""
{%- extends 'index.html.j2' -%}

{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}

{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true, processEnvironments: true, tags: 'ams'},
  options: {enableMenu: false},
  chtml: {fontURL: 'lib/mathjax/es5/output/chtml/fonts/woff-v2'}
};
</script>
<script src="lib/mathjax/es5/tex-chtml-full.js"></script>
<style type="text/css">
.coursekit-widget-note {
  border: 1px dashed #999; border-radius: 4px; padding: 0.4em 0.8em;
  color: #555; font-size: 0.8em; font-style: italic; display: inline-block;
}
.reveal .slides section { overflow-y: auto; max-height: 100%; }
</style>
{%- endblock html_head_js_mathjax -%}

{% block footer_js %}
<script src="lib/reveal.js/dist/reveal.js"></script>
<script src="lib/reveal.js/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({
  controls: true,
  progress: true,
  hash: true,
  slideNumber: 'c/t',
  transition: '{{ reveal_transition }}',
  width: {{ reveal_width }},
  height: {{ reveal_height }},
  plugins: [RevealNotes]
});
</script>
{% endblock footer_js %}
"""


def _run_npm(npm_dir: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "coursekit.slides needs npm (it comes with Node.js) once, to fetch "
            f"reveal.js {REVEAL_VERSION} and MathJax {MATHJAX_VERSION} from the npm registry; "
            "npm was not found on PATH. Install Node.js (e.g. `sudo apt install npm`, "
            "`conda install -c conda-forge nodejs`, or https://nodejs.org) and run again. "
            f"After the first build the libraries stay in {npm_dir} and no network is needed."
        )
    command = [npm, "install", "--prefix", str(npm_dir), "--no-audit", "--no-fund",
               "--loglevel=error", f"reveal.js@{REVEAL_VERSION}", f"mathjax@{MATHJAX_VERSION}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(
            f"`{' '.join(command)}` failed (exit code {result.returncode}); is the npm "
            "registry reachable from this machine (network, proxy)? npm said:\n"
            + result.stderr[-2000:]
        )


def _installed_version(package_dir: Path) -> str | None:
    import json

    try:
        return json.loads((package_dir / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def fetch_libraries(npm_dir: Path) -> Path:
    """Make sure reveal.js and MathJax are installed under ``npm_dir``; return node_modules.

    Runs npm only when the pinned versions are not there yet, so rebuilding is offline.
    """
    npm_dir = Path(npm_dir)
    modules = npm_dir / "node_modules"
    wanted = {"reveal.js": REVEAL_VERSION, "mathjax": MATHJAX_VERSION}
    if any(_installed_version(modules / name) != version for name, version in wanted.items()):
        npm_dir.mkdir(parents=True, exist_ok=True)
        _run_npm(npm_dir)
    for name, version in wanted.items():
        found = _installed_version(modules / name)
        if found != version:
            raise RuntimeError(f"npm installed {name} {found} under {modules}, expected {version}")
    return modules


def _bundle_libraries(modules: Path, out_dir: Path) -> None:
    """Copy the files a deck loads from node_modules to ``out_dir/lib/``."""
    for package, parts in _BUNDLED.items():
        for part in parts:
            source, target = modules / package / part, out_dir / "lib" / package / part
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


def _exporter():
    import jinja2
    from nbconvert import SlidesExporter

    return SlidesExporter(
        extra_loaders=[jinja2.DictLoader({"coursekit_deck.html.j2": _TEMPLATE})],
        template_file="coursekit_deck.html.j2",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        reveal_url_prefix="lib/reveal.js",
        reveal_theme="white",
        reveal_width="1100",
        reveal_height="800",
    )


_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_WIDGET_NOTE = (
    '<span class="coursekit-widget-note">interactive widget: it runs live in JupyterLab '
    "(and in the RISE slideshow), not in this offline deck</span>"
)


def _progress_bars(notebook) -> set[str]:
    """Model ids of the progress bars (tqdm's) saved in the notebook's widget state."""
    state = (notebook.metadata.get("widgets", {})
             .get("application/vnd.jupyter.widget-state+json", {}).get("state", {}))
    bars = {key for key, model in state.items()
            if model.get("model_name") in ("FloatProgressModel", "IntProgressModel")}
    return bars | {key for key, model in state.items()
                   if any(child.removeprefix("IPY_MODEL_") in bars
                          for child in model.get("state", {}).get("children", []))}


def _prepare_for_deck(notebook) -> None:
    """Adapt a notebook, in memory, to a deck with no kernel.

    A widget needs a running kernel: a progress bar (tqdm) is dropped, any other widget
    becomes a short note. The saved widget state goes, and nbval's ``# NBVAL_...`` marker
    lines are hidden from the audience.
    """
    progress_bars = _progress_bars(notebook)
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        cell.source = "\n".join(line for line in lines if not line.startswith("# NBVAL_"))
        kept = []
        for output in cell.get("outputs", []):
            widget = output.get("data", {}).get(_WIDGET_MIME)
            if widget is not None and widget.get("model_id") in progress_bars:
                continue
            if widget is not None:
                output["data"] = {"text/html": _WIDGET_NOTE}
            kept.append(output)
        cell.outputs = kept


def _read_for_deck(notebook_path: Path):
    """The notebook at ``notebook_path``, checked for a deck: readable, valid, slide metadata.

    Raises NotebookError or ValueError, naming the file (and the cell), for a broken notebook.
    """
    notebook = read_notebook(notebook_path)
    for index, cell in enumerate(notebook.cells):
        slideshow = cell.metadata.get("slideshow")
        slide_type = slideshow.get("slide_type") if isinstance(slideshow, dict) else None
        if slide_type not in SLIDE_TYPES:
            raise ValueError(
                f"{notebook_path}, cell {index}: slide_type is {slide_type!r}, expected "
                f"one of {SLIDE_TYPES}; set it in JupyterLab's property inspector (gear icon)"
            )
    return notebook


def _deck_html(notebook, name: str, exporter) -> str:
    """The reveal.js deck of a notebook read by ``_read_for_deck`` (changed in place)."""
    _prepare_for_deck(notebook)
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": name}})
    return body


def notebook_to_deck(notebook_path: Path, out_dir: Path, *, exporter=None) -> Path:
    """Write ``out_dir/<notebook name>.html``, a reveal.js deck of the notebook's stored outputs.

    The deck expects the libraries in ``out_dir/lib/`` (``build_decks`` puts them there).
    """
    notebook_path = Path(notebook_path)
    notebook = _read_for_deck(notebook_path)
    body = _deck_html(notebook, notebook_path.stem, exporter or _exporter())
    deck = Path(out_dir) / f"{notebook_path.stem}.html"
    deck.write_text(body, encoding="utf-8")
    return deck


def _index_html(names: list[str]) -> str:
    items = "\n".join(
        f'  <li><a href="{html.escape(name)}.html">{html.escape(name)}</a></li>'
        for name in names
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
        "<title>Slides</title></head>\n<body>\n<h1>Slides</h1>\n<p>Arrow keys or space move "
        "on; S opens the speaker notes; F is full screen; Esc shows every slide.</p>\n"
        f"<ul>\n{items}\n</ul>\n</body>\n</html>\n"
    )


def build_decks(notebook_dir: Path, out_dir: Path, *, npm_dir: Path | None = None) -> list[Path]:
    """One offline deck per ``notebook_dir/*.ipynb`` in ``out_dir``, plus lib/ and index.html.

    Every notebook is read and checked first, before npm runs or anything is written, and the
    decks and index move into ``out_dir`` together once all are made: a broken notebook
    leaves ``out_dir`` as it was.

    Args:
        notebook_dir: folder of notebooks (their stored outputs are used; nothing runs).
        out_dir: where the decks go, e.g. ``build/slides``.
        npm_dir: where npm installs reveal.js and MathJax; default ``out_dir/../npm``.

    Returns:
        The paths of the decks, in notebook order.
    """
    notebook_dir, out_dir = Path(notebook_dir), Path(out_dir)
    paths = sorted(notebook_dir.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no .ipynb files in {notebook_dir.resolve()}")
    notebooks = {path.stem: _read_for_deck(path) for path in paths}
    modules = fetch_libraries(npm_dir or out_dir.parent / "npm")
    exporter = _exporter()
    pages = {f"{name}.html": _deck_html(notebook, name, exporter)
             for name, notebook in notebooks.items()}
    pages["index.html"] = _index_html(list(notebooks))
    out_dir.mkdir(parents=True, exist_ok=True)
    _bundle_libraries(modules, out_dir)
    write_files_together(pages, out_dir)
    return [out_dir / f"{name}.html" for name in notebooks]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.slides",
        description="Build one offline reveal.js deck per notebook (no kernel, no network).",
        epilog="Exit status: 0 done, 1 npm failed or the decks could not be written, 2 a bad "
               "input (no notebooks, a broken notebook, a cell without a valid slide_type).",
    )
    parser.add_argument("notebook_dir", type=Path, help="folder of .ipynb files")
    parser.add_argument("out_dir", type=Path, help="output folder, e.g. build/slides")
    args = parser.parse_args(argv)
    try:
        decks = build_decks(args.notebook_dir, args.out_dir)
    except (FileNotFoundError, ValueError) as error:  # the notebooks given: nothing was written
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (RuntimeError, OSError) as error:  # npm, or writing the decks
        print(f"error: {error}", file=sys.stderr)
        return 1
    for deck in decks:
        print(deck)
    print(f"open {args.out_dir / 'index.html'} in a browser; it works with no network")
    return 0


if __name__ == "__main__":
    sys.exit(main())
