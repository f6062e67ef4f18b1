"""What many test files share: the repository's folders and the list of notebooks.

Import the constants where a test needs them at collection time (``parametrize``)::

    from conftest import NOTEBOOKS, REPO
"""

from __future__ import annotations

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
