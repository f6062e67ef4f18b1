"""``python -m coursekit.data``: rewrite ``data/basketball.gif`` from ``basketball_clip()``."""

import coursekit
from coursekit.data import basketball_clip
from coursekit.video import save_gif


def write_sample_clip():
    """Write the course's sample clip, (20, 3, 220, 220) at 10 fps, to data/basketball.gif."""
    path = save_gif(basketball_clip(), coursekit.DATA_DIR / "basketball.gif", fps=10)
    print(f"wrote {path}")


if __name__ == "__main__":
    write_sample_clip()
