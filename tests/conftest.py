"""What many test files share: the repository's folders and the list of notebooks.

Import the constants where a test needs them at collection time (``parametrize``)::

    from conftest import NOTEBOOKS, REPO
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
DATA_DIR = REPO / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def notebook(stem_prefix: str) -> Path:
    """The notebook whose name starts with ``stem_prefix``, e.g. ``notebook("06")``."""
    (path,) = [p for p in NOTEBOOKS if p.name.startswith(stem_prefix)]
    return path
