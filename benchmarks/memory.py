"""Peak memory of running each notebook top to bottom in a fresh kernel.

Prints one JSON line per notebook (not a test: numbers depend on the machine).
    python benchmarks/memory.py                      # every notebook
    python benchmarks/memory.py notebooks/06_*.ipynb # some of them
Each notebook runs in its own child process, which starts a fresh kernel, executes every cell
(nothing is written back) and reports the largest resident set size (max RSS) any process it
started reached: that is the kernel's peak. Goal: under 2 GB per notebook, the memory of a free
Binder or Colab machine.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import resource, sys
import nbformat
from nbclient import NotebookClient

path = sys.argv[1]
notebook = nbformat.read(path, as_version=4)
NotebookClient(notebook, timeout=600, kernel_name="python3",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the kernel, once it has exited
print(peak * (1 if sys.platform == "darwin" else 1024))  # bytes (Linux counts in KiB)
"""


def measure(path: Path) -> dict:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(path.parent)],
                          capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        return {"notebook": path.name, "error": done.stderr.strip().splitlines()[-1:]}
    peak = int(done.stdout.split()[-1])
    return {"notebook": path.name, "peak_rss_mb": round(peak / 2**20), "seconds": round(seconds, 1),
            "under_2_gb": peak < 2 * 2**30}


def main():
    paths = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        print(json.dumps(measure(path.resolve())), flush=True)


if __name__ == "__main__":
    main()
