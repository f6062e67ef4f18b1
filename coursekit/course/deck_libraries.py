"""The JavaScript a deck runs offline: reveal.js and MathJax, fetched once with npm.

The first build runs ``npm install --prefix build/npm reveal.js@REVEAL_VERSION
mathjax@MATHJAX_VERSION`` (it needs Node.js and a network once); later builds find the pinned
versions in ``build/npm`` and work offline. ``bundle_libraries`` copies the files a deck loads
to ``lib/`` next to the decks, so a deck's every ``<script src>`` is a relative path.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

__all__ = ["BUNDLED_FILES", "MATHJAX_VERSION", "REVEAL_VERSION", "bundle_libraries",
           "fetch_libraries"]

REVEAL_VERSION = "5.2.1"
MATHJAX_VERSION = "3.2.2"

#: The files a deck loads, relative to each npm package; they are copied to lib/<package>/.
BUNDLED_FILES = {
    "reveal.js": ["dist", "plugin/notes", "LICENSE"],
    "mathjax": ["es5/tex-chtml-full.js", "es5/output/chtml/fonts/woff-v2", "LICENSE"],
}


def fetch_libraries(npm_dir) -> Path:
    """Make sure reveal.js and MathJax are installed under ``npm_dir``; return node_modules.

    Runs npm only when the pinned versions are not there yet, so rebuilding is offline.
    Raises RuntimeError saying what to install (or check) when npm is missing or fails.
    """
    npm_dir = Path(npm_dir)
    modules = npm_dir / "node_modules"
    wanted = {"reveal.js": REVEAL_VERSION, "mathjax": MATHJAX_VERSION}

    def missing() -> bool:
        return any(_installed_version(modules / name) != version
                   for name, version in wanted.items())

    if missing():
        npm_dir.mkdir(parents=True, exist_ok=True)
        with _one_at_a_time(npm_dir):
            if missing():  # another build may have installed them while this one waited
                _run_npm(npm_dir)
    for name, version in wanted.items():
        found = _installed_version(modules / name)
        if found != version:
            raise RuntimeError(f"npm installed {name} {found} under {modules}, expected {version}")
    return modules


def bundle_libraries(modules, out_dir) -> None:
    """Copy the files a deck loads (BUNDLED_FILES) from node_modules to ``out_dir/lib/``."""
    modules, out_dir = Path(modules), Path(out_dir)
    for package, parts in BUNDLED_FILES.items():
        for part in parts:
            source, target = modules / package / part, out_dir / "lib" / package / part
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


@contextlib.contextmanager
def _one_at_a_time(npm_dir: Path) -> Iterator[None]:
    """Builds that start together (make slides and make site, or the tests run in parallel)
    install into ``npm_dir`` one after the other: a lock file, where the system has fcntl."""
    try:
        import fcntl
    except ImportError:  # Windows: no lock; run one build at a time there
        yield
        return
    with open(npm_dir / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def _run_npm(npm_dir: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "building the offline decks needs npm (it comes with Node.js) once, to fetch "
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
    """The version in an installed npm package's package.json, or None if there is none."""
    try:
        return json.loads((package_dir / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
