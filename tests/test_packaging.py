"""The two ways to install the course name the same packages, so they cannot drift apart."""

import re

import tomllib
from conftest import REPO

# conda-forge names the same projects differently in a few places.
CONDA_NAMES = {"pytorch": "torch"}
# Not Python packages: conda also installs the tools pip cannot (npm for `make slides`).
CONDA_ONLY = {"python", "pip", "nodejs"}


def names(requirements):
    return {re.split(r"[<>=!~ ;:\[]", r.strip(), maxsplit=1)[0].lower() for r in requirements}


def pyproject_packages():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return names(project["dependencies"] + extras)


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
