"""What many test files share: the repository's folders and the list of notebooks.

Import the constants where a test needs them at collection time (``parametrize``)::

    from conftest import NOTEBOOKS, REPO

``make test`` runs on every core (pytest-xdist, ``--dist loadgroup``): see
``pytest_collection_modifyitems`` for how the work is shared out.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
DATA_DIR = REPO / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def notebook(stem_prefix: str) -> Path:
    """The notebook whose name starts with ``stem_prefix``, e.g. ``notebook("06")``."""
    (path,) = [p for p in NOTEBOOKS if p.name.startswith(stem_prefix)]
    return path

# The browser tests (test_e2e.py, test_site.py) drive Debian's Chromium through Playwright;
# $CHROMIUM names another Chromium-based browser (GitHub's runners have /usr/bin/google-chrome).
CHROMIUM = os.environ.get("CHROMIUM") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser():
    """Chromium, headless, through Playwright; skipped without Chromium or Playwright."""
    if CHROMIUM is None:
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (pip)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# --- Sharing the work among pytest-xdist's workers ---------------------------------------------
# make test runs `pytest -n auto`. A scope is what one worker runs, in order: a module's tests
# (they share module fixtures) or a notebook's cells (nbval runs them in one kernel). The
# scopes start longest first, so that the workers finish together. Without this file (pytest
# notebooks/ alone) pyproject's `--dist loadfile` still keeps each file in one worker.

# Modules whose every test is a scope of its own: each runs a whole notebook in its own kernel.
ONE_TEST_A_SCOPE = ("tests/test_student_runs.py",)
# The test modules that run longest (measured with --durations, issue 23): they start first.
LONG_MODULES = ("tests/test_install.py", "tests/test_site.py", "tests/test_e2e.py")


def _scope(nodeid: str) -> str:
    """"tests/test_video.py::test_x[a]" -> "tests/test_video.py", its module."""
    module = nodeid.split("::", 1)[0]
    return nodeid if module in ONE_TEST_A_SCOPE else module


def _cost(scope: str, size: int) -> tuple:
    """Sorts longest first: the long modules, then every notebook run (nbval's and the
    student copies', the notebook with more code cells first), then by number of tests."""
    if scope in LONG_MODULES:
        return (0, LONG_MODULES.index(scope))
    name = scope.rsplit("[", 1)[-1].rstrip("]") if "[" in scope else Path(scope).name
    if name.endswith(".ipynb"):
        return (1, -_code_cells(NOTEBOOKS_DIR / name))
    return (2, -size)


def _code_cells(path: Path) -> int:
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return 0
    return sum(cell.get("cell_type") == "code" for cell in cells)


def pytest_collection_modifyitems(config, items):
    """Order the scopes longest first; within a scope the order stays as collected."""
    scopes: dict[str, list] = {}
    for item in items:
        scopes.setdefault(_scope(item.nodeid), []).append(item)
    ordered = sorted(scopes.items(), key=lambda scope: _cost(scope[0], len(scope[1])))
    items[:] = [item for _, members in ordered for item in members]


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's scheduler by scope, with our scopes, in the order collected."""
    from xdist.scheduler import LoadScopeScheduling

    class LongestFirst(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope(nodeid)

    config.option.loadscopereorder = False  # keep pytest_collection_modifyitems' order
    return LongestFirst(config, log)
