"""data/: every shipped file is documented, and generated ones still match their generator."""

import coursekit
from coursekit.data import basketball_clip
from coursekit.video import load_video


def test_every_data_file_is_described_in_the_readme():
    readme = (coursekit.DATA_DIR / "README.md").read_text()
    for path in coursekit.DATA_DIR.iterdir():
        if path.name != "README.md":
            assert f"## {path.name}" in readme, f"data/README.md does not describe {path.name}"


def test_basketball_gif_is_the_generated_clip():
    stored = load_video(coursekit.DATA_DIR / "basketball.gif")
    assert stored.shape == (20, 3, 220, 220)
    assert (stored - basketball_clip()).abs().max() < 0.02  # only the GIF palette differs
