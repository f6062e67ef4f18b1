"""Build the course website into build/site/ from the notebooks' stored outputs.

Run it with ``make site``, or::

    python site/build_site.py                  # notebooks/ -> build/site/
    python site/build_site.py --out /tmp/site  # somewhere else

Sphinx with myst-nb renders the pages (``site/conf.py``); no notebook is executed. The
sources are staged in a temporary folder first:

- ``index.md``: the README's introduction (its title and the text before its first ``##``
  heading, read at build time), then the notebooks in order;
- one page per ``notebooks/NN_*.ipynb``: its launch badges (Colab, Binder: from pyproject's
  ``[project.urls]`` Repository through ``coursekit.course.links``, added under the title
  if the notebook has none), then downloads of the student copy (``downloads/student/``,
  made by ``coursekit.course.student``) and the instructor copy (``downloads/instructor/``,
  the notebook as it is); solution cells start folded, widgets (which need a kernel) are
  replaced by a note and the Colab install cell is left out;
- MathJax (``coursekit.course.deck_libraries``, fetched with npm once into build/npm), so
  math renders offline. Images from other sites (the README's badges) become their alt
  text: the built site makes no request outside itself.

The site is built in the staging folder and only then replaces ``--out``, so a failed build
leaves the previous site as it was.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

from coursekit.course.deck_libraries import BUNDLED_FILES, fetch_libraries
from coursekit.course.links import INSTALL_CELL_ID, Course, read_course
from coursekit.course.notebooks import SOLUTION_TAG, course_notebooks, read_notebook
from coursekit.course.student import write_student_copies

SITE_DIR = Path(__file__).resolve().parent
REPO = SITE_DIR.parent
MATHJAX_SCRIPT = "mathjax/es5/tex-chtml-full.js"  # relative to _static/
LINKS_CELL_ID = "site-launch-and-downloads"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ('<p class="course-widget">An interactive widget (a player, a progress bar) '
               "appears here when the notebook runs: open it in Colab, on Binder or with "
               "<code>make lab</code>.</p>")

_LINK = re.compile(r"(?<!!)\[([^\]]*)\]\(([^)\s]+)\)")
_REMOTE_MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\((?:https?:)?//[^)]*\)")
_REMOTE_HTML_IMAGE = re.compile(r"<img\b[^>]*\bsrc=[\"'](?:https?:)?//[^>]*>", re.IGNORECASE)
_ALT = re.compile(r"\balt=[\"']([^\"']*)[\"']", re.IGNORECASE)
# Markdown refuses SVG data: URLs (they may hold scripts); the course's badges are such URLs.
_SVG_IMAGE_LINK = re.compile(r"\[!\[([^\]]*)\]\((data:image/svg\+xml,[^)\s]*)\)\]\(([^)\s]+)\)")
_SVG_IMAGE = re.compile(r"!\[([^\]]*)\]\((data:image/svg\+xml,[^)\s]*)\)")


# ---------------------------------------------------------------------------------------------
# What the pages say: the README's introduction, the launch and download links
# ---------------------------------------------------------------------------------------------

def readme_introduction(readme: str) -> tuple[str, str]:
    """README text -> (title, introduction): the first ``# `` heading and the text after it
    up to the first ``## `` heading (headings inside code blocks do not count)."""
    title, body, in_code = "", [], False
    for line in readme.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        if not in_code and line.startswith("## "):
            break
        if not in_code and not title and line.startswith("# "):
            title = line[2:].strip()
            continue
        body.append(line)
    if not title:
        raise ValueError("README.md has no '# Title' line before its first '## ' section; "
                         "the home page takes its title from it")
    return title, "\n".join(body).strip() + "\n"


def site_markdown(markdown: str) -> str:
    """Markdown as the site shows it, with no request to another site: images from the web
    (badges in the README) become their alt text, their links stay; SVG pictures in data:
    URLs (the notebooks' launch badges), which Markdown refuses, become HTML."""
    markdown = _REMOTE_MARKDOWN_IMAGE.sub(lambda m: m.group(1), markdown)
    markdown = _REMOTE_HTML_IMAGE.sub(lambda m: (_ALT.findall(m.group(0)) or [""])[0], markdown)
    markdown = _SVG_IMAGE_LINK.sub(
        lambda m: f'<a href="{html.escape(m.group(3))}">{_html_image(*m.group(1, 2))}</a>',
        markdown)
    return _SVG_IMAGE.sub(lambda m: _html_image(*m.group(1, 2)), markdown)


def _html_image(alt: str, source: str) -> str:
    return f'<img src="{html.escape(source)}" alt="{html.escape(alt)}" class="course-badge"/>'


def site_links(markdown: str, notebook_names: list[str], course: Course | None) -> str:
    """README links made to work on the home page: a notebook -> its page, ``#section`` and
    other repository files -> the repository on GitHub (plain text without a repository)."""

    def fix(match: re.Match) -> str:
        text, target = match.groups()
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            return match.group(0)  # https:, mailto:, ...
        path = target.split("#")[0].removeprefix("./")
        if Path(path).name in notebook_names:
            return f"[{text}]({Path(path).name})"
        if course is None:
            return text
        if target.startswith("#"):
            return f"[{text}]({course.repository}{target})"
        return f"[{text}]({course.repository}/blob/{course.tag}/{target.removeprefix('./')})"

    return _LINK.sub(fix, markdown)


def launch_urls(course: Course, name: str) -> dict[str, str]:
    """The Colab and Binder links of ``notebooks/<name>``, as the notebooks' badges have them."""
    return {"Open in Colab": course.colab_url(name), "Launch on Binder": course.binder_url(name)}


def links_cell(name: str, course: Course | None, markdown: str) -> dict:
    """The markdown cell under a notebook's title: launch links the notebook's ``markdown``
    does not have yet (its badges), and the student and instructor downloads."""
    links = launch_urls(course, name) if course else {}
    anchors = [f'<a class="course-launch" href="{html.escape(url)}">{label}</a>'
               for label, url in links.items() if url not in markdown]
    anchors += [
        f'<a class="course-download" href="downloads/student/{name}" download>'
        "Student copy (exercises to do)</a>",
        f'<a class="course-download" href="downloads/instructor/{name}" download>'
        "Instructor copy (with solutions)</a>",
    ]
    return {
        "cell_type": "markdown",
        "id": LINKS_CELL_ID,
        "metadata": {"slideshow": {"slide_type": "skip"}},
        "source": '<p class="course-links">\n' + "\n".join(anchors) + "\n</p>\n",
    }


def site_notebook(notebook: dict, name: str, course: Course | None) -> dict:
    """A notebook as the site shows it (a new dict): the links cell after the title cell,
    markdown made offline (``site_markdown``), solution cells folded (tag ``hide-input``),
    widgets (which need a kernel) replaced by a note, the install cell left out."""
    notebook = json.loads(json.dumps(notebook))
    markdown = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            markdown.append("".join(cell["source"]))
            cell["source"] = site_markdown(markdown[-1])
        for output in cell.get("outputs", []):
            if WIDGET_MIME in output.get("data", {}):
                output["data"] = {"text/html": WIDGET_NOTE, "text/plain": "(a widget)"}
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_TAG in tags:
            tags = [*tags, "hide-input"]
        if cell.get("id") == INSTALL_CELL_ID:
            tags = [*tags, "remove-cell"]
        if tags:
            cell["metadata"]["tags"] = list(dict.fromkeys(tags))
    notebook["cells"].insert(1, links_cell(name, course, "\n".join(markdown)))
    return notebook


def home_page(title: str, introduction: str, notebook_names: list[str]) -> str:
    """index.md: the README's title and introduction, then the notebooks' table of contents."""
    toctree = "\n".join(Path(name).stem for name in notebook_names)
    return (f"# {title}\n\n{introduction}\n## The notebooks\n\n"
            "Each page shows a notebook with the outputs of a clean run, links to run it on "
            "Colab or Binder, and downloads of its student copy (exercises to do) and its "
            "instructor copy (with solutions).\n\n"
            f"```{{toctree}}\n:maxdepth: 1\n\n{toctree}\n```\n")


def course_or_none(pyproject: Path) -> Course | None:
    """The repository and version in pyproject.toml, or None (and a warning on stderr) when
    there is no GitHub address: the site is then built without Colab and Binder links."""
    try:
        return read_course(pyproject)
    except (ValueError, RuntimeError, KeyError) as error:
        print(f"build_site: warning: no Colab or Binder links: {error}", file=sys.stderr)
        return None


# ---------------------------------------------------------------------------------------------
# Staging and building
# ---------------------------------------------------------------------------------------------

def stage_sources(src: Path, *, notebook_dir: Path, readme: Path, pyproject: Path,
                  npm_dir: Path) -> dict:
    """Write everything Sphinx reads into the empty folder ``src``; return the settings."""
    paths = course_notebooks(notebook_dir)
    names = [path.name for path in paths]
    course = course_or_none(pyproject)
    title, introduction = readme_introduction(readme.read_text(encoding="utf-8"))
    introduction = site_links(site_markdown(introduction), names, course)
    shutil.copy2(SITE_DIR / "conf.py", src / "conf.py")
    shutil.copytree(SITE_DIR / "_static", src / "_static")
    (src / "index.md").write_text(home_page(title, introduction, names), encoding="utf-8")
    downloads = src / "_extra" / "downloads"
    write_student_copies(notebook_dir, downloads / "student")
    (downloads / "instructor").mkdir(parents=True)
    for path in paths:
        shutil.copy2(path, downloads / "instructor" / path.name)
        page = site_notebook(read_notebook(path), path.name, course)
        (src / path.name).write_text(json.dumps(page, indent=1, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
    _bundle_mathjax(fetch_libraries(npm_dir), src / "_static" / "mathjax")
    settings = {"title": title, "version": course.version if course else "",
                "repository_url": course.repository if course else None,
                "branch": course.tag if course else None, "mathjax_path": MATHJAX_SCRIPT}
    (src / "site_settings.json").write_text(json.dumps(settings, indent=1), encoding="utf-8")
    return settings


def _bundle_mathjax(modules: Path, target: Path) -> None:
    """Copy MathJax's script and fonts (the files the offline decks load) to ``target``."""
    for part in BUNDLED_FILES["mathjax"]:
        source = modules / "mathjax" / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / part)


def build_site(out_dir, *, notebook_dir=REPO / "notebooks", readme=REPO / "README.md",
               pyproject=REPO / "pyproject.toml", npm_dir=REPO / "build" / "npm") -> Path:
    """Build the website into ``out_dir`` (replaced only when the build succeeded).

    Raises RuntimeError when Sphinx or npm fails (Sphinx's messages are on stderr),
    ValueError for a README without a title and FileNotFoundError for a folder without
    notebooks; returns ``out_dir``.
    """
    from sphinx.cmd.build import build_main

    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="coursekit-site-") as tmp:
        src, html_dir = Path(tmp) / "src", Path(tmp) / "html"
        src.mkdir()
        stage_sources(src, notebook_dir=Path(notebook_dir), readme=Path(readme),
                      pyproject=Path(pyproject), npm_dir=Path(npm_dir))
        status = build_main(["-b", "html", "-q", "-j", "1", "-d", str(Path(tmp) / "doctrees"),
                             str(src), str(html_dir)])
        if status != 0:
            raise RuntimeError(f"sphinx-build failed (exit status {status}); see its messages "
                               "above")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(html_dir), out_dir)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "site",
                        help="the folder to build into (default: build/site)")
    parser.add_argument("--notebooks", type=Path, default=REPO / "notebooks")
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    parser.add_argument("--pyproject", type=Path, default=REPO / "pyproject.toml",
                        help="where the Colab and Binder links come from ([project.urls] "
                             "Repository and the version's tag)")
    args = parser.parse_args(argv)
    try:
        out = build_site(args.out, notebook_dir=args.notebooks, readme=args.readme,
                         pyproject=args.pyproject)
    except (RuntimeError, ValueError, OSError) as error:
        print(f"build_site: {error}", file=sys.stderr)
        return 2
    print(f"The course website is in {out}; open {out / 'index.html'} in a browser.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
