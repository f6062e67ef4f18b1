"""``python -m coursekit.data [PATH]``: rewrite the sample clip from ``basketball_clip()``.

Without PATH it writes ``basketball.gif`` in ``coursekit.DATA_DIR``: in the repository (an
editable install, what ``make`` sets up) that is ``data/basketball.gif``.
"""

import argparse
from pathlib import Path

import coursekit
from coursekit.data import basketball_clip
from coursekit.video import save_gif


def write_sample_clip(path=None):
    """Write the course's sample clip, (20, 3, 220, 220) at 10 fps, to path (a GIF file)."""
    path = Path(path) if path is not None else coursekit.DATA_DIR / "basketball.gif"
    written = save_gif(basketball_clip(), path, fps=10)
    print(f"wrote {written}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m coursekit.data", description=__doc__)
    parser.add_argument("path", nargs="?",
                        help="the GIF to write (default: DATA_DIR/basketball.gif)")
    write_sample_clip(parser.parse_args(argv).path)


if __name__ == "__main__":
    main()
