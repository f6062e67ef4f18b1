"""The course's launch links and install cell, all written from one repository address.

pyproject.toml's ``[project.urls] Repository`` (a GitHub address) and ``version`` are the
only place they are set. From them this module writes:

- in each notebook's title cell, an "Open in Colab" and a "launch Binder" badge;
- each notebook's first code cell, which installs coursekit from that repository, at the tag
  ``v<version>``, only where it is missing (on Colab): elsewhere it does nothing, silently;
- the README's launch table, between its two ``launch-links`` marker comments.

A fork changes the address in pyproject.toml and runs, from the repository::

    python -m coursekit.course.links

The badges in the notebooks are small SVG pictures inside the link itself (data: URLs), so a
notebook, its offline deck and the course website show them with no network; the README,
read on GitHub, uses the badge pictures Colab and Binder publish.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from coursekit.course.notebooks import course_notebooks

INSTALL_CELL_ID = "install-coursekit"
README_START = "<!-- launch-links: start (python -m coursekit.course.links writes this) -->"
README_END = "<!-- launch-links: end -->"
_BADGE_LINE = re.compile(r"^\[!\[Open in Colab\]")


@dataclass(frozen=True)
class Course:
    """Where the course lives: ``repository`` is https://github.com/OWNER/NAME."""

    repository: str
    version: str

    @property
    def tag(self) -> str:
        """The git tag of this version of the course, e.g. ``v0.1.0``."""
        return f"v{self.version}"

    @property
    def owner_and_name(self) -> str:
        return self.repository.removeprefix("https://github.com/")

    def colab_url(self, notebook: str) -> str:
        """Colab opens ``notebooks/<notebook>`` of this repository at this version's tag."""
        return (f"https://colab.research.google.com/github/{self.owner_and_name}/blob/"
                f"{self.tag}/notebooks/{notebook}")

    def binder_url(self, notebook: str) -> str:
        """mybinder.org builds the repository at the tag (binder/) and opens the notebook."""
        return (f"https://mybinder.org/v2/gh/{self.owner_and_name}/{self.tag}"
                f"?urlpath=lab/tree/notebooks/{notebook}")

    @property
    def pip_requirement(self) -> str:
        return f"coursekit @ git+{self.repository}@{self.tag}"


def read_course(pyproject) -> Course:
    """The repository address and version set in ``pyproject`` (the path of pyproject.toml)."""
    try:
        tomllib = importlib.import_module("tomllib")
    except ModuleNotFoundError:
        raise RuntimeError("python -m coursekit.course.links needs Python 3.11 or newer "
                           "(it reads pyproject.toml with tomllib)") from None

    project = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))["project"]
    repository = project.get("urls", {}).get("Repository", "").rstrip("/")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repository):
        raise ValueError(
            f"{pyproject}: [project.urls] Repository is {repository!r}; Colab and Binder open "
            "notebooks from GitHub, so set it to https://github.com/OWNER/NAME")
    return Course(repository, project["version"])


def badge_image(label: str, colour: str) -> str:
    """A badge reading ``label`` as a data: URL (an SVG picture; no request to show it)."""
    width = 12 + 7 * len(label)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20">'
           f'<rect rx="3" width="{width}" height="20" fill="{colour}"/>'
           f'<text x="{width / 2}" y="14" fill="#fff" text-anchor="middle" font-size="11" '
           f'font-family="Verdana,DejaVu Sans,sans-serif">{label}</text></svg>')
    return "data:image/svg+xml," + quote(svg, safe="")


def badges(course: Course, notebook: str) -> str:
    """The markdown line of a notebook's two launch badges."""
    colab = badge_image("Open in Colab", "#e37400")
    binder = badge_image("launch Binder", "#336699")
    return (f"[![Open in Colab]({colab})]({course.colab_url(notebook)}) "
            f"[![launch Binder]({binder})]({course.binder_url(notebook)})")


def install_cell_source(course: Course) -> str:
    """The first code cell: install coursekit where it is missing (Colab), silently."""
    return "\n".join([
        "# On Colab (or wherever coursekit is missing) install the course's package, at this",
        "# version of the course; where it is installed (make lab, Binder) this does nothing.",
        "try:",
        "    import coursekit",
        "except ImportError:",
        f'    %pip install -q "{course.pip_requirement}"',
    ])


def with_badges(title: str, course: Course, notebook: str) -> str:
    """The title cell's markdown with the badge line right under its heading, once."""
    lines = [line for line in title.split("\n") if not _BADGE_LINE.match(line)]
    while len(lines) > 2 and lines[1] == lines[2] == "":
        del lines[1]  # the blank line left where an older badge line was
    return "\n".join([lines[0], "", badges(course, notebook), *lines[1:]])


def update_notebook(notebook: dict, course: Course, name: str) -> dict:
    """Badges in the title cell, the install cell right after it (added once, then kept up)."""
    cells = notebook["cells"]
    if not cells or cells[0]["cell_type"] != "markdown":
        raise ValueError(f"{name}: the first cell should be the markdown title cell")
    cells[0]["source"] = _as_lines(with_badges("".join(cells[0]["source"]), course, name))
    install = [i for i, cell in enumerate(cells) if cell.get("id") == INSTALL_CELL_ID]
    if not install:
        cells.insert(1, {"cell_type": "code", "execution_count": None, "id": INSTALL_CELL_ID,
                         "metadata": {"slideshow": {"slide_type": "skip"}}, "outputs": [],
                         "source": []})
        install = [1]
    cells[install[0]]["source"] = _as_lines(install_cell_source(course))
    return notebook


def _as_lines(text: str) -> list[str]:
    """A cell source as notebooks store it: lines, each but the last ending in a newline."""
    return text.splitlines(keepends=True)


def readme_table(course: Course, notebooks: list[str]) -> str:
    """The README's launch table (a row per notebook: Colab, Binder) and the pip command."""
    colab = "https://colab.research.google.com/assets/colab-badge.svg"
    binder = "https://mybinder.org/badge_logo.svg"
    rows = [f"| `{Path(name).stem}` | [![Open in Colab]({colab})]({course.colab_url(name)}) "
            f"| [![launch Binder]({binder})]({course.binder_url(name)}) |" for name in notebooks]
    pip = (f"The package alone, anywhere (the core: no Jupyter; `coursekit[lab] @ ...` adds "
           f"JupyterLab and RISE): `pip install \"{course.pip_requirement}\"`.")
    return "\n".join(["| notebook | Colab | Binder |", "| --- | --- | --- |", *rows, "", pip])


def update_readme(text: str, course: Course, notebooks: list[str]) -> str:
    """The README with the table between its marker comments replaced."""
    if README_START not in text or README_END not in text:
        raise ValueError(f"README.md needs the two lines {README_START!r} and {README_END!r}, "
                         "where the launch table goes")
    before, rest = text.split(README_START, 1)
    _, after = rest.split(README_END, 1)
    return f"{before}{README_START}\n{readme_table(course, notebooks)}\n{README_END}{after}"


def write_links(repo) -> list[Path]:
    """Rewrite the notebooks' badges and install cells and the README's table in ``repo``.

    Returns the files whose text changed (none on a second run).
    """
    repo = Path(repo)
    course = read_course(repo / "pyproject.toml")
    paths = course_notebooks(repo / "notebooks")
    texts = {}
    for path in paths:
        notebook = update_notebook(json.loads(path.read_text(encoding="utf-8")), course,
                                   path.name)
        texts[path] = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    readme = repo / "README.md"
    texts[readme] = update_readme(readme.read_text(encoding="utf-8"), course,
                                  [path.name for path in paths])
    changed = [path for path, text in texts.items() if path.read_text(encoding="utf-8") != text]
    for path in changed:
        path.write_text(texts[path], encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    """``python -m coursekit.course.links [REPO]``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.course.links",
        description="Write the Colab and Binder badges, the notebooks' install cells and the "
                    "README's launch table from pyproject.toml's [project.urls] Repository.")
    parser.add_argument("repo", nargs="?", type=Path, default=Path("."),
                        help="the course repository (default: the current folder)")
    args = parser.parse_args(argv)
    try:
        changed = write_links(args.repo)
    except (OSError, ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in changed:
        print(f"rewrote {path}")
    print(f"{len(changed)} file(s) changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
