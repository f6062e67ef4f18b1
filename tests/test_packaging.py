"""How the course installs: what pyproject.toml, environment.yml, constraints.txt, the Makefile
and the launch links promise, checked without installing anything (tests/test_install.py
installs, and is slow)."""

import json
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
import tomllib
from conftest import DATA_DIR, NOTEBOOKS, REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from coursekit.course import links

# conda-forge names the same projects differently in a few places.
CONDA_NAMES = {"pytorch": "torch"}
# Not Python packages: conda also installs the tools pip cannot (npm for `make slides`).
CONDA_ONLY = {"python", "pip", "nodejs"}
# What would replace the Jupyter of Colab (or of any Jupyter the core is installed into).
JUPYTER_FRONTENDS = {"jupyterlab", "notebook", "jupyterlab-rise", "jupyterlab-widgets"}

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
SETUPTOOLS = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def names(requirements):
    return {re.split(r"[<>=!~ ;:\[]", r.strip(), maxsplit=1)[0].lower() for r in requirements}


def requirements(group=None):
    """pyproject's requirements (the core, or one extra), without its own `coursekit[...]`."""
    listed = PROJECT["dependencies"] if group is None else PROJECT["optional-dependencies"][group]
    return [Requirement(r) for r in listed if Requirement(r).name != "coursekit"]


def pyproject_packages():
    extras = [r for group in PROJECT["optional-dependencies"].values() for r in group]
    return names(PROJECT["dependencies"] + extras) - {"coursekit"}


def conda_packages():
    lines = (REPO / "environment.yml").read_text().split("dependencies:", 1)[1].splitlines()
    listed = [line.strip()[2:] for line in lines if re.match(r"^  - [a-z]", line)]
    listed = names(listed) - CONDA_ONLY
    return {CONDA_NAMES.get(name, name) for name in listed}


def test_environment_yml_and_pyproject_name_the_same_packages():
    assert conda_packages() == pyproject_packages()


def test_environment_yml_installs_the_course_itself():
    assert "- -e ." in (REPO / "environment.yml").read_text()


def test_no_exact_pins():
    text = (REPO / "pyproject.toml").read_text() + (REPO / "environment.yml").read_text()
    assert "==" not in text


def test_the_core_leaves_jupyter_alone():
    core = {canonicalize_name(r.name) for r in requirements()}
    assert core >= {"torch", "torchvision", "pillow", "matplotlib", "ipywidgets", "tqdm", "av"}
    assert not core & JUPYTER_FRONTENDS, "Colab's own Jupyter must not be replaced"
    lab = {canonicalize_name(r.name) for r in requirements("lab")}
    assert {"jupyterlab", "jupyterlab-rise"} <= lab


def test_dev_is_lab_site_and_test():
    (dev,) = PROJECT["optional-dependencies"]["dev"]
    assert Requirement(dev).name == "coursekit"
    assert Requirement(dev).extras == {"lab", "site", "test"}


def test_every_package_folder_is_listed_for_the_wheel():
    folders = {".".join(path.parent.relative_to(REPO).parts)
               for path in (REPO / "coursekit").rglob("__init__.py")}
    assert set(SETUPTOOLS["packages"]) == folders | {"coursekit.sample_data"}
    assert SETUPTOOLS["package-dir"] == {"coursekit.sample_data": "data"}


def test_the_wheel_ships_every_sample_file(tmp_path):
    """Built from a copy of the repository's files (no network), like `pip install .` does."""
    source = tmp_path / "src"
    for folder in ["coursekit", "data"]:
        shutil.copytree(REPO / folder, source / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for name in ["pyproject.toml", "README.md"]:
        shutil.copy(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path / "dist"), str(source)],
                   check=True, cwd=tmp_path, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("coursekit-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    for path in DATA_DIR.iterdir():
        assert f"coursekit/sample_data/{path.name}" in shipped, f"data/{path.name} not shipped"
    assert "coursekit/course/links.py" in shipped


def constraints():
    """constraints.txt as {name: pinned version}."""
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_constraints_pin_every_requirement_within_its_bounds():
    pins = constraints()
    assert "coursekit" not in pins
    groups = [None, *(g for g in PROJECT["optional-dependencies"] if g != "dev")]
    for requirement in (r for group in groups for r in requirements(group)):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"constraints.txt does not pin {name}: run make constraints"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside pyproject's {requirement}")


def make_dry_run(target, **env):
    """The commands `make -n -B target` would run (nothing runs), with environment ``env``."""
    result = subprocess.run(["make", "-n", "-B", target], cwd=REPO, capture_output=True,
                            text=True, check=True, env={"PATH": "/usr/bin:/bin", **env})
    return result.stdout


def test_make_installs_with_the_constraints():
    assert 'pip install -c constraints.txt -e ".[lab]"' in make_dry_run("lab")
    assert 'pip install -c constraints.txt -e ".[dev]"' in make_dry_run("setup")


def test_make_test_skips_slow_tests_unless_asked():
    assert '-m "not slow"' in make_dry_run("test")
    assert "slow" not in make_dry_run("test", COURSEKIT_SLOW_TESTS="1").split("pytest")[-1]
    assert '-m "not e2e and not notebook and not slow"' in make_dry_run("unit")


def test_make_test_and_unit_share_the_tests_among_the_cores():
    for target in ("test", "unit"):
        assert "pytest -n auto " in make_dry_run(target)
    assert "pytest -n 0 " in make_dry_run("test", JOBS="0")
    options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"][
        "ini_options"]["addopts"]
    assert "--dist loadfile" in options


def test_ci_runs_the_slow_tests_through_make_test():
    lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert "export COURSEKIT_SLOW_TESTS=1" in lines
    assert lines[-1] == "make test"


def test_slow_marker_is_registered():
    markers = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"][
        "ini_options"]["markers"]
    assert any(marker.startswith("slow:") for marker in markers)


def test_binder_installs_the_course_without_editable_tricks():
    lines = [line.strip() for line in (REPO / "binder" / "requirements.txt").read_text()
             .splitlines() if line.strip() and not line.startswith("#")]
    assert "-c ../constraints.txt" in lines
    assert ".[lab]" in lines
    assert not any(line.startswith(("-e", "--editable")) for line in lines)
    runtime = (REPO / "binder" / "runtime.txt").read_text().strip()
    assert runtime == "python-" + ".".join(map(str, sys.version_info[:2])), (
        "Binder's Python should be the one constraints.txt was made with")


# --- The launch links: one repository address, everywhere -------------------------------------

COURSE = links.read_course(REPO / "pyproject.toml")
LINK_PREFIXES = ("https://colab.research.google.com/github/", "https://mybinder.org/v2/gh/",
                 "git+https://")


def launch_links(text):
    """Every Colab, Binder or pip-from-git address in ``text``."""
    pattern = "|".join(re.escape(prefix) for prefix in LINK_PREFIXES)
    return re.findall(rf"(?:{pattern})[^\s\)\"'`\\]*", text)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_launch_link_and_install_cell_agrees_with_pyproject(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    title, install = notebook["cells"][0], notebook["cells"][1]
    assert links.badges(COURSE, path.name) in "".join(title["source"])
    assert install["cell_type"] == "code" and install["id"] == links.INSTALL_CELL_ID
    assert "".join(install["source"]) == links.install_cell_source(COURSE)
    assert install["metadata"]["slideshow"]["slide_type"] == "skip"
    text = path.read_text(encoding="utf-8")
    expected = (COURSE.colab_url(path.name), COURSE.binder_url(path.name),
                f"git+{COURSE.repository}@{COURSE.tag}")
    for link in launch_links(text):
        assert link in expected, f"{path.name}: {link} is not from pyproject's Repository"


def test_the_readme_launch_table_agrees_with_pyproject():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    names = [path.name for path in NOTEBOOKS]
    assert links.update_readme(readme, COURSE, names) == readme, (
        "run python -m coursekit.course.links")
    found = launch_links(readme)
    assert len(found) == 2 * len(names) + 1
    for link in found:
        assert COURSE.owner_and_name in link and COURSE.tag in link, link


def test_links_rewrite_a_fork_in_one_command(tmp_path):
    """Changing pyproject's Repository and running the command updates every link, once."""
    for name in ["README.md", "pyproject.toml"]:
        (tmp_path / name).write_text((REPO / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "notebooks").mkdir()
    for path in NOTEBOOKS[:2]:
        (tmp_path / "notebooks" / path.name).write_bytes(path.read_bytes())
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(COURSE.repository,
                                                       "https://github.com/someone/fork"))
    assert links.main([str(tmp_path)]) == 0
    assert len(links.write_links(tmp_path)) == 0  # a second run changes nothing
    for path in [tmp_path / "README.md", *(tmp_path / "notebooks").iterdir()]:
        found = launch_links(path.read_text(encoding="utf-8"))
        assert found and all("someone/fork" in link for link in found), path.name
    notebook = json.loads((tmp_path / "notebooks" / NOTEBOOKS[0].name).read_text())
    assert [c.get("id") for c in notebook["cells"]].count(links.INSTALL_CELL_ID) == 1


def test_links_refuse_an_address_colab_cannot_open(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nversion = "1.0"\nurls = { Repository = "https://gitlab.com/a/b" }\n')
    with pytest.raises(ValueError, match="https://github.com/OWNER/NAME"):
        links.read_course(tmp_path / "pyproject.toml")
