"""How long the tests take, as a contributor meets them: prints the figures, asserts nothing.

    python benchmarks/test_times.py                 # 3 runs of each, about 45 minutes
    python benchmarks/test_times.py --runs 1 --only unit test

Each ``.ci/run`` starts from a fresh ``git clone`` of this repository's HEAD in a temporary
folder, so it builds its own venv (with pip's cache as this machine has it) and runs the slow
tests too. ``make unit`` and ``make test`` then run in the last of those clones, whose venv is
built: the "venv already built" case. The targets of issue 23 are printed beside the figures:
.ci/run at most 10 minutes, make test at most 4, make unit under 1.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = {".ci/run": 600, "make test": 240, "make unit": 60}  # seconds
COMMANDS = {".ci/run": ["bash", ".ci/run"], "make test": ["make", "test"],
            "make unit": ["make", "unit"]}
NAMES = {"ci": ".ci/run", "test": "make test", "unit": "make unit"}


def fresh_clone(parent: Path) -> Path:
    """A clone of HEAD (committed work only, as CI sees it) in a new folder under parent."""
    folder = Path(tempfile.mkdtemp(prefix="clone-", dir=parent)) / "course"
    subprocess.run(["git", "clone", "-q", str(REPO), str(folder)], check=True)
    return folder


def timed(what: str, folder: Path, log: Path) -> tuple[float, str]:
    """Run ``what`` in ``folder`` as CI does (CI=true, no stdin); (seconds, pytest's summary)."""
    env = {**os.environ, "CI": "true"}
    for name in ("VIRTUAL_ENV", "PYTEST_ADDOPTS", "COURSEKIT_SLOW_TESTS"):
        env.pop(name, None)
    start = time.perf_counter()
    with open(log, "w") as out:
        result = subprocess.run(COMMANDS[what], cwd=folder, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - start
    text = log.read_text(errors="replace")
    summary = re.findall(r"=+ (.*(?:passed|failed).*) in [\d.]+s", text)
    verdict = summary[-1] if summary else "no pytest summary"
    if result.returncode:
        verdict = f"FAILED (exit {result.returncode}; log {log}): {verdict}"
    return seconds, verdict


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=NAMES, default=list(NAMES),
                        help="ci, unit, test (default: all three, in that order)")
    parser.add_argument("--keep", action="store_true", help="keep the clones and logs")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="coursekit-test-times-"))
    figures: dict[str, list[float]] = {}
    clone = None
    try:
        for key in [k for k in NAMES if k in args.only]:
            what = NAMES[key]
            for run in range(1, args.runs + 1):
                if what == ".ci/run" or clone is None:
                    clone = fresh_clone(work)
                    if what != ".ci/run":  # build the venv first, untimed
                        with open(work / "setup.log", "w") as out:
                            subprocess.run(["make", "setup"], cwd=clone, check=True,
                                           stdout=out, stderr=subprocess.STDOUT)
                log = work / f"{key}-{run}.log"
                seconds, verdict = timed(what, clone, log)
                figures.setdefault(what, []).append(seconds)
                print(f"{what:10s} run {run}: {seconds:6.0f} s  ({verdict})", flush=True)
        print(f"\n{'command':10s} {'runs (s)':>26s} {'target':>8s}")
        for what, values in figures.items():
            runs = ", ".join(f"{v:.0f}" for v in values)
            print(f"{what:10s} {runs:>26s} {'<= ' if what != 'make unit' else '< '}"
                  f"{TARGETS[what]} s")
    finally:
        if args.keep:
            print(f"clones and logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
