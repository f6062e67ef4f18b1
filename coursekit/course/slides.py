"""Offline slide decks: one reveal.js HTML file per notebook, built from its stored outputs.

    python -m coursekit.course.slides notebooks build/slides      (what ``make slides`` runs)

A deck needs no kernel and no network: reveal.js, MathJax and their fonts are copied into
``build/slides/lib/`` next to the decks (``coursekit.course.deck_libraries`` fetches them with
npm once, into ``build/npm``), and every ``<script src>`` / ``<link href>`` is a relative
path. Copy the whole ``build/slides/`` folder to the lecture-hall laptop and open
``index.html`` (or any deck) in a browser.

Each cell's ``slideshow.slide_type`` metadata (slide, subslide, fragment, -, skip, notes)
decides where it goes, exactly as in the live RISE slideshow. Widgets (``frame_player``) need
a running kernel, so a deck shows a short note in their place and drops progress bars;
``viewers.animate`` output is an embedded GIF and plays in the deck.

Every course notebook (``NN_*.ipynb``) is read and checked before npm runs or anything is
written: a broken one (not JSON, not UTF-8, not a valid notebook, a cell without a valid
slide_type) stops the build with a one-line error naming it, exit status 2, and
``build/slides`` stays as it was.
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

from coursekit.course.deck_libraries import bundle_libraries, fetch_libraries
from coursekit.course.notebooks import course_notebooks, read_notebook, write_files_together

__all__ = ["SLIDE_TYPES", "build_decks", "deck_exporter", "main", "notebook_to_deck"]

#: The values of a cell's ``metadata.slideshow.slide_type`` that RISE and nbconvert know.
SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")

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


def deck_exporter():
    """The nbconvert SlidesExporter that makes the decks: local scripts only, no prompts."""
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


def _is_progress_bar(output) -> bool:
    """A tqdm bar: its text fallback reads like ``40%|####      | 4/10``.

    Read from the output itself, since notebooks are stored without widget state.
    """
    return "%|" in "".join(output.get("data", {}).get("text/plain", ""))


def _prepare_for_deck(notebook) -> None:
    """Adapt a notebook, in memory, to a deck with no kernel.

    A widget needs a running kernel: a progress bar (tqdm) is dropped, any other widget
    becomes a short note. The saved widget state goes, and nbval's ``# NBVAL_...`` marker
    lines are hidden from the audience.
    """
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        cell.source = "\n".join(line for line in lines if not line.startswith("# NBVAL_"))
        kept = []
        for output in cell.get("outputs", []):
            widget = output.get("data", {}).get(_WIDGET_MIME)
            if widget is not None and _is_progress_bar(output):
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


def notebook_to_deck(notebook_path, out_dir, *, exporter=None) -> Path:
    """Write ``out_dir/<notebook name>.html``, a reveal.js deck of the notebook's stored outputs.

    The deck expects the libraries in ``out_dir/lib/`` (``build_decks`` puts them there).
    exporter: default ``deck_exporter()``; pass one to reuse it across notebooks.
    Raises NotebookError or ValueError, naming the file (and the cell), for a broken notebook.
    """
    notebook_path = Path(notebook_path)
    notebook = _read_for_deck(notebook_path)
    body = _deck_html(notebook, notebook_path.stem, exporter or deck_exporter())
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


def build_decks(notebook_dir, out_dir, *, npm_dir=None) -> list[Path]:
    """One offline deck per ``notebook_dir/NN_*.ipynb`` in ``out_dir``, plus lib/ and index.html.

    Every notebook is read and checked first, before npm runs or anything is written, and the
    decks and index move into ``out_dir`` together once all are made: a broken notebook
    leaves ``out_dir`` as it was.

    Args:
        notebook_dir: folder of the course notebooks, ``NN_name.ipynb`` (their stored
            outputs are used; nothing runs; a scratch ``Untitled.ipynb`` gets no deck).
        out_dir: where the decks go, e.g. ``build/slides``.
        npm_dir: where npm installs reveal.js and MathJax; default ``out_dir/../npm``.

    Returns:
        The paths of the decks, in notebook order.

    Raises:
        FileNotFoundError (no course notebook), NotebookError or ValueError (a broken one),
        RuntimeError (npm missing or failing).
    """
    notebook_dir, out_dir = Path(notebook_dir), Path(out_dir)
    notebooks = {path.stem: _read_for_deck(path) for path in course_notebooks(notebook_dir)}
    modules = fetch_libraries(npm_dir or out_dir.parent / "npm")
    exporter = deck_exporter()
    pages = {f"{name}.html": _deck_html(notebook, name, exporter)
             for name, notebook in notebooks.items()}
    pages["index.html"] = _index_html(list(notebooks))
    out_dir.mkdir(parents=True, exist_ok=True)
    bundle_libraries(modules, out_dir)
    write_files_together(pages, out_dir)
    return [out_dir / f"{name}.html" for name in notebooks]


def main(argv: list[str] | None = None) -> int:
    """The command line: ``python -m coursekit.course.slides SRC OUT``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.course.slides",
        description="Build one offline reveal.js deck per course notebook (NN_*.ipynb), from "
                    "its stored outputs: no kernel, and no network once npm has run.",
        epilog="Exit status: 0 done, 1 npm failed or the decks could not be written, 2 a bad "
               "input (no notebooks, a broken notebook, a cell without a valid slide_type).",
    )
    parser.add_argument("notebook_dir", type=Path, help="folder of the NN_*.ipynb notebooks")
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
