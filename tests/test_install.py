"""A fresh venv, as a student on another computer gets it. Slow (minutes): make test runs it
only with COURSEKIT_SLOW_TESTS=1, as .ci/run does.

One venv, in stages, each a module fixture (in a copy of the repository's files):
1. the README's first no-make command creates it (``python -m venv .venv``);
2. the core, non-editable, installed from a folder outside the repository with the
   constraints, as ``pip install "coursekit @ git+..."`` would: no JupyterLab comes with it,
   and notebooks 01 and 03, copied elsewhere, pass nbval with the data shipped in the package;
3. the README's other no-make commands, as written (on Linux ``.venv/bin/`` for
   ``.venv\\Scripts\\``): the [dev] install, JupyterLab answering, and the tests.
The install times and sizes are printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import DATA_DIR, REPO, notebook

pytestmark = pytest.mark.slow

NOT_COPIED = shutil.ignore_patterns(".venv", ".git", "build", "__pycache__", "*.egg-info",
                                    ".*cache", ".hypothesis", "node_modules")
MARKER = "<!-- no-make commands: tests/test_install.py runs these lines -->"


def readme_commands() -> list[str]:
    """The README's no-make commands, for this system (Linux: .venv/bin/ for .venv\\Scripts\\)."""
    text = (REPO / "README.md").read_text(encoding="utf-8").split(MARKER, 1)[1]
    block = re.search(r"```\n(.*?)\n\s*```", text, re.S)
    assert block, f"README.md: no code block after {MARKER}"
    return [line.strip().replace(".venv\\Scripts\\", ".venv/bin/")
            for line in block.group(1).splitlines() if line.strip()]


def run(command, cwd, timeout=1800, **kwargs) -> subprocess.CompletedProcess:
    """Run ``command`` (a list, or a README line) in a clean environment; stdout+stderr kept."""
    if isinstance(command, str):
        command = shlex.split(command)
        if command[0] == "python":  # the python that runs the tests: `python` may be absent
            command[0] = sys.executable
    env = {key: value for key, value in os.environ.items()
           if key not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "COURSEKIT_SLOW_TESTS"}}
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    return subprocess.run(command, cwd=cwd, env=env, timeout=timeout, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)


def site_packages(python) -> str:
    return run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
               cwd=REPO).stdout.strip()


def site_packages_mb(python) -> int:
    """The size of the venv's site-packages, in MB (du)."""
    du = subprocess.run(["du", "-sm", site_packages(python)], capture_output=True, text=True,
                        check=True)
    return int(du.stdout.split()[0])


def report(what, **numbers):
    print(json.dumps({"measure": what, **numbers}))


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """The repository's files (no .venv, .git or build) in a temporary folder."""
    root = tmp_path_factory.mktemp("course") / "video-course"
    shutil.copytree(REPO, root, ignore=NOT_COPIED)
    return root


@pytest.fixture(scope="module")
def venv(copy):
    """Stage 1: the README's first command creates the venv."""
    first = readme_commands()[0]
    assert first == "python -m venv .venv", first
    result = run(first, cwd=copy)
    assert result.returncode == 0, result.stdout
    return copy / ".venv" / "bin" / "python"


@pytest.fixture(scope="module")
def core(venv, copy, tmp_path_factory):
    """Stage 2: the core, non-editable, from elsewhere; then nbval on notebooks 01 and 03."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    constraints = str(copy / "constraints.txt")
    before = site_packages_mb(venv)
    start = time.perf_counter()
    install = run([str(venv), "-m", "pip", "install", "-q", "-c", constraints, str(copy)],
                  cwd=elsewhere)
    seconds = time.perf_counter() - start
    assert install.returncode == 0, install.stdout[-3000:]
    report("core install", seconds=round(seconds), site_packages_mb=site_packages_mb(venv),
           empty_venv_mb=before)
    probe = run([str(venv), "-c", "import json, importlib.metadata as m, coursekit; print(json."
                 "dumps([str(coursekit.DATA_DIR), sorted(d.metadata['Name'].lower() for d in "
                 "m.distributions())]))"], cwd=elsewhere)
    assert probe.returncode == 0, probe.stdout
    data_dir, distributions = json.loads(probe.stdout.strip().splitlines()[-1])

    tools = run([str(venv), "-m", "pip", "install", "-q", "-c", constraints, "pytest", "nbval"],
                cwd=elsewhere)
    assert tools.returncode == 0, tools.stdout[-3000:]
    for prefix in ("01", "03"):
        shutil.copy(notebook(prefix), elsewhere / notebook(prefix).name)
    start = time.perf_counter()
    nbval = run([str(venv), "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q",
                 "-p", "no:cacheprovider", notebook("01").name, notebook("03").name],
                cwd=elsewhere)
    report("nbval 01 and 03 in the core venv", seconds=round(time.perf_counter() - start))
    return {"data_dir": data_dir, "distributions": distributions, "nbval": nbval,
            "site_packages": site_packages(venv)}


def test_core_install_brings_no_jupyterlab(core):
    assert "coursekit" in core["distributions"]
    assert "torch" in core["distributions"]
    assert "jupyterlab" not in core["distributions"]
    assert "notebook" not in core["distributions"]


def test_core_install_is_not_editable_and_ships_the_data(core):
    assert core["data_dir"].startswith(core["site_packages"]), core["data_dir"]
    shipped = {p.name for p in os.scandir(core["data_dir"])}
    assert shipped == {p.name for p in DATA_DIR.iterdir()}


def test_notebooks_01_and_03_pass_nbval_from_outside_the_repository(core):
    result = core["nbval"]
    assert result.returncode == 0, result.stdout[-5000:]
    assert re.search(r"\d+ passed", result.stdout), result.stdout[-2000:]


@pytest.fixture(scope="module")
def readme_install(core, venv, copy):
    """Stage 3: the README's install command, in the same venv (after stage 2 is done)."""
    command = readme_commands()[1]
    start = time.perf_counter()
    result = run(command, cwd=copy)
    report("README install ([dev], editable) over the core", seconds=round(
        time.perf_counter() - start), site_packages_mb=site_packages_mb(venv))
    return command, result


def test_readme_install_command(readme_install, venv):
    command, result = readme_install
    assert "-c constraints.txt" in command and ".[dev]" in command
    assert result.returncode == 0, result.stdout[-5000:]
    version = run([str(venv), "-c", "import jupyterlab; print(jupyterlab.__version__)"],
                  cwd=venv.parent)
    assert version.returncode == 0, version.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_readme_jupyter_lab_command_starts_jupyterlab(readme_install, copy):
    command = readme_commands()[2]
    assert "jupyter lab" in command.replace(".venv/bin/jupyter", "jupyter")
    port, token = free_port(), "course-test"
    extra = [f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1", "--no-browser",
             f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        extra.append("--allow-root")  # CI runs as root; students are not
    server = subprocess.Popen(shlex.split(command) + extra, cwd=copy, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        answer = None
        deadline = time.monotonic() + 180
        while answer is None and time.monotonic() < deadline and server.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/api/contents?token={token}"
                with urllib.request.urlopen(url, timeout=5) as response:
                    answer = json.load(response)
            except OSError:
                time.sleep(1)
        assert answer is not None, "JupyterLab did not answer"
        names = {item["name"] for item in answer["content"]}
        assert notebook("01").name in names, "the server's root should be notebooks/"
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_readme_test_command(readme_install, copy):
    """The README's pytest command with all its options, on a few files: the whole suite is
    what make test runs anyway."""
    command = shlex.split(readme_commands()[3])
    assert command[-2:] == ["tests", "notebooks"], command
    command[-2:] = ["tests/test_data_files.py", "notebooks/01_videos_as_tensors.ipynb"]
    result = run(shlex.join(command), cwd=copy)
    assert result.returncode == 0, result.stdout[-5000:]
    assert re.search(r"\d+ passed", result.stdout), result.stdout[-2000:]


def test_binder_requirements_resolve_with_the_constraints(copy, tmp_path):
    """binder/requirements.txt, minus PyTorch's CPU index (no network here), resolves.

    pip runs it in the repository's folder, as repo2docker does; nothing is installed.
    """
    binder = copy / "binder" / "requirements.txt"
    lines = [line for line in binder.read_text().splitlines()
             if "download.pytorch.org" not in line]
    binder.write_text("\n".join(lines) + "\n")
    result = run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                  "--no-build-isolation", "-r", "binder/requirements.txt"], cwd=copy)
    assert result.returncode == 0, result.stdout[-5000:]
    assert "Would install" in result.stdout and "coursekit-" in result.stdout
