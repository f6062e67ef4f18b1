"""data/: every shipped file is documented, found, and generated ones still match their generator.

The repository's ``data/`` folder (sample files) is not the package ``coursekit/data/`` (code).
"""

import torch
from conftest import DATA_DIR

import coursekit
from coursekit.data import basketball_clip, co2_monthly
from coursekit.video import load_video


def test_the_package_finds_the_data_folder_not_itself():
    assert coursekit.DATA_DIR == DATA_DIR.resolve()
    assert (coursekit.DATA_DIR / "basketball.gif").is_file()


def test_every_data_file_is_described_in_the_readme():
    readme = (DATA_DIR / "README.md").read_text()
    for path in DATA_DIR.iterdir():
        if path.name != "README.md":
            assert f"## {path.name}" in readme, f"data/README.md does not describe {path.name}"


def test_basketball_gif_is_the_generated_clip():
    stored = load_video(DATA_DIR / "basketball.gif")
    assert stored.shape == (20, 3, 220, 220)
    assert (stored - basketball_clip()).abs().max() < 0.02  # only the GIF palette differs


def test_python_m_coursekit_data_writes_the_sample_clip(tmp_path, monkeypatch, capsys):
    from coursekit.data.__main__ import write_sample_clip

    monkeypatch.setattr(coursekit, "DATA_DIR", tmp_path)  # not the repository's own file
    write_sample_clip()
    assert f"wrote {tmp_path / 'basketball.gif'}" in capsys.readouterr().out
    written = load_video(tmp_path / "basketball.gif")
    assert torch.equal(written, load_video(DATA_DIR / "basketball.gif"))


def test_co2_series_is_read_from_the_data_folder():
    months, co2 = co2_monthly()
    assert len(months) == 526 and co2.shape == (526, 1)
    assert (months[0], months[-1]) == ("1958-03", "2001-12")
    assert 310 < co2.min() and co2.max() < 375  # parts per million, 1958 to 2001
