# The two commands a new user runs are `make lab` and `make test`; both set up .venv first if needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.coursekit-installed
export PATH := $(abspath $(BIN)):$(PATH)
# Idle OpenMP threads sleep instead of spinning: on a busy 2-core laptop spinning threads
# fight each other and a notebook runs several times slower (benchmarks/speed.py).
export OMP_WAIT_POLICY ?= PASSIVE
# JupyterLab refuses to run as root unless told to; students are not root, CI and containers are.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup lab test unit notebooks slides student lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "coursekit needs Python 3.10 or newer; this python3 is " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e ".[dev]"
	touch $@

# JupyterLab reads JUPYTER_PORT and JUPYTER_TOKEN from the environment itself;
# LAB_ARGS passes more options, e.g. make lab LAB_ARGS=--no-browser.
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

# Every unit test, every notebook (nbval), and the browser tests when Chromium is present.
test: $(STAMP)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env tests notebooks

unit: $(STAMP)
	$(BIN)/python -m pytest tests -m "not e2e"

# Re-execute every notebook (or NB=notebooks/03_*.ipynb) in place, each in a fresh kernel,
# so the stored outputs are those of a clean run. Widget state (progress bars, players) is
# not stored: it is stale once the kernel stops, and a state stored earlier is deleted.
NB ?= notebooks/*.ipynb
notebooks: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=600 \
	    --ExecutePreprocessor.record_timing=False \
	    --ExecutePreprocessor.store_widget_state=False $(NB)
	$(BIN)/python -c 'import sys, nbformat; [nbformat.write(nb, p) for p in sys.argv[1:] \
	    for nb in [nbformat.read(p, as_version=4)] if nb.metadata.pop("widgets", None)]' $(NB)

# One offline reveal.js deck per notebook under build/slides/.
slides: $(STAMP)
	$(BIN)/python -m coursekit.course.slides notebooks build/slides

# The student copies: every cell tagged `solution` replaced by a stub, outputs cleared.
student: $(STAMP)
	$(BIN)/python -m coursekit.course.student notebooks build/student

lint: $(STAMP)
	$(BIN)/ruff check coursekit tests benchmarks
	$(BIN)/mypy coursekit

clean:
	rm -rf build .pytest_cache
