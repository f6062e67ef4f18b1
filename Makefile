# The two commands a new user runs are `make lab` and `make test`; both set up .venv first if needed.
# Without make (Windows, say), the README's "Without make" section gives the same steps as commands.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The versions CI tested (make constraints refreshes them). They are for Python 3.11 and newer:
# on Python 3.10, or to take the newest releases, run make with CONSTRAINTS= (empty).
CONSTRAINTS ?= constraints.txt
PIP_INSTALL := $(BIN)/python -m pip install $(if $(CONSTRAINTS),-c $(CONSTRAINTS))
LAB_STAMP := $(VENV)/.coursekit-lab
DEV_STAMP := $(VENV)/.coursekit-dev
export PATH := $(abspath $(BIN)):$(PATH)
# Idle OpenMP threads sleep instead of spinning: on a busy 2-core laptop spinning threads
# fight each other and a notebook runs several times slower (benchmarks/speed.py).
export OMP_WAIT_POLICY ?= PASSIVE
# JupyterLab refuses to run as root unless told to; students are not root, CI and containers are.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
# Tests marked `slow` (a fresh venv, the website: minutes each) run only when
# COURSEKIT_SLOW_TESTS=1, as .ci/run sets it; otherwise make test and make unit skip them.
SLOW := $(filter 1,$(COURSEKIT_SLOW_TESTS))

.PHONY: setup lab test unit notebooks slides student lint constraints clean site

setup: $(DEV_STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "coursekit needs Python 3.10 or newer; this python3 is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# `make lab` needs the course and JupyterLab with RISE ([lab]); the rest needs [dev] (lab, the
# website's tools and the test tools). Both install the course editable (-e): edits to
# coursekit/ apply at the next kernel start.
$(LAB_STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP_INSTALL) -e ".[lab]"
	touch $@

$(DEV_STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP_INSTALL) -e ".[dev]"
	touch $@ $(LAB_STAMP)

# JupyterLab reads JUPYTER_PORT and JUPYTER_TOKEN from the environment itself;
# LAB_ARGS passes more options, e.g. make lab LAB_ARGS=--no-browser.
lab: $(LAB_STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

# Tests run on every core (pytest-xdist): JOBS=auto starts one worker per core; JOBS=0 runs
# them in this one process (e.g. to use --pdb). tests/conftest.py shares the work out.
JOBS ?= auto

# Every unit test, every notebook (nbval) and every student copy; with COURSEKIT_SLOW_TESTS=1
# also the slow ones: a fresh venv, the website, and the browser tests when Chromium is present.
test: $(DEV_STAMP)
	$(BIN)/python -m pytest -n $(JOBS) --nbval-lax --nbval-current-env \
	    $(if $(SLOW),,-m "not slow") tests notebooks

# The unit tests alone: no notebook, browser or slow test (about a minute or less).
unit: $(DEV_STAMP)
	$(BIN)/python -m pytest -n $(JOBS) tests -m "not e2e and not notebook$(if $(SLOW),, and not slow)"

# Re-execute every notebook (or NB=notebooks/03_*.ipynb) in place, each in a fresh kernel,
# so the stored outputs are those of a clean run. Widget state (progress bars, players) is
# not stored: it is stale once the kernel stops, and a state stored earlier is deleted.
NB ?= notebooks/*.ipynb
notebooks: $(DEV_STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=600 \
	    --ExecutePreprocessor.record_timing=False \
	    --ExecutePreprocessor.store_widget_state=False $(NB)
	$(BIN)/python -c 'import sys, nbformat; [nbformat.write(nb, p) for p in sys.argv[1:] \
	    for nb in [nbformat.read(p, as_version=4)] if nb.metadata.pop("widgets", None)]' $(NB)

# One offline reveal.js deck per notebook under build/slides/.
slides: $(DEV_STAMP)
	$(BIN)/python -m coursekit.course.slides notebooks build/slides

# The student copies: every cell tagged `solution` replaced by a stub, outputs cleared.
student: $(DEV_STAMP)
	$(BIN)/python -m coursekit.course.student notebooks build/student

lint: $(DEV_STAMP)
	$(BIN)/ruff check coursekit tests benchmarks
	$(BIN)/mypy coursekit

# After `make test` passes with newer packages (e.g. `.venv/bin/pip install -U torch`), record
# the venv's versions, minus coursekit itself, as the set that students and CI install.
constraints: $(DEV_STAMP)
	{ echo "# The versions tested together (make test, .ci/run) on Python 3.11; make constraints"; \
	  echo "# rewrites this file from .venv. pip install -c constraints.txt applies it."; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v -i '^coursekit[ =]'; \
	} > constraints.tmp && mv constraints.tmp constraints.txt

clean:
	rm -rf build .pytest_cache

# The course website in build/site/ (open build/site/index.html): a page per notebook from its
# stored outputs (nothing re-runs), student and instructor downloads, offline math and search.
# Like make slides it needs npm once, to fetch MathJax into build/npm.
site: $(DEV_STAMP)
	$(BIN)/python site/build_site.py --out build/site
