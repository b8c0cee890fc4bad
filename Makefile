# The two commands for people are `make lab` and `make test` (see README.md).
# Each creates .venv if it is missing and installs what it needs into it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_PORT ?= 8866

.PHONY: lab test unit exercises bench demo slides demo-slides test-browser test-dist test-nbgrader test-lowest clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# $(VENV)/.test-deps installs the package with its `test` extra, and likewise lab, bench, demo.
$(VENV)/.%-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[$*]'
	touch $@

$(VENV)/.browser-deps: pyproject.toml tests/browser/install.sh | $(BIN)/python
	sh tests/browser/install.sh $(VENV)
	touch $@

## make lab: JupyterLab at the top of the suite (notebooks/, exercises/, my-work/ all in its file browser),
## opening notebooks/00_start_here.ipynb.  Options for Jupyter go in ARGS: make lab ARGS="--port 9000".
## A root user gets --allow-root; with no display Jupyter prints the address to open instead of a browser.
## The venv's kernel comes first on JUPYTER_PATH, so a user-level "python3" kernel cannot shadow it.
START_PAGE = notebooks/00_start_here.ipynb
LAB_FLAGS = $(if $(filter 0,$(shell id -u)),--allow-root) \
            $(if $(DISPLAY)$(WAYLAND_DISPLAY)$(filter Darwin,$(shell uname -s)),,--no-browser)
lab: $(VENV)/.lab-deps
	JUPYTER_PATH="$(CURDIR)/$(VENV)/share/jupyter$${JUPYTER_PATH:+:$$JUPYTER_PATH}" \
	    $(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/$(START_PAGE) \
	    $(LAB_FLAGS) $(ARGS)

## make test: unit tests, a benchmark smoke run, then every notebook under nbval (outputs compared)
test: $(VENV)/.test-deps
	$(BIN)/python -m pytest

## make unit: the unit tests alone (no notebooks), for a quick loop
unit: $(VENV)/.test-deps
	$(BIN)/python -m pytest tests -p no:nbval -o addopts="" --ignore=tests/browser --ignore=tests/dist --ignore=tests/nbgrader

## make exercises: run solutions/, regenerate exercises/ and the live copies in notebooks/live/
exercises: $(VENV)/.test-deps
	$(BIN)/python -m backproplib.authoring generate

## make bench: benchmarks against micrograd, numpy and torch; writes benchmarks/RESULTS.md
bench: $(VENV)/.test-deps $(VENV)/.bench-deps
	$(BIN)/python benchmarks/run.py

## make demo: the lecture notebooks as Voilà apps (code hidden) on 127.0.0.1; open the address it prints
## (PRESENT=1 for a projector: text ≥ 20 px, figures at 2× pixel density; PRESENT=high-contrast also)
demo: $(VENV)/.demo-deps
	PORT=$(DEMO_PORT) PRESENT=$(PRESENT) sh tests/browser/demo.sh

## make slides: an offline reveal.js deck of every lecture notebook, build/slides/NN_name.slides.html (code
## hidden, math by MathJax 2; reveal.js, MathJax, require.js, jQuery and the widget renderer are fetched once
## with `npm pack` into build/slides-cache/ and copied beside the decks: nothing is loaded from another host)
slides: $(VENV)/.slides-deps
	$(BIN)/python -m backproplib.slides build

## make demo-slides: the lecture notebooks as reveal.js slides under Voilà, widgets live, on 127.0.0.1
## (everything served locally; needs npm once, like make slides).  PRESENT=1 as for make demo.
SLIDES_PORT ?= 8867
demo-slides: $(VENV)/.demo-deps $(VENV)/.slides-deps
	PORT=$(SLIDES_PORT) PRESENT=$(PRESENT) sh tests/browser/slides_demo.sh

## make test-browser: every notebook widget driven in headless Chromium (Voilà and JupyterLab)
test-browser: $(VENV)/.test-deps $(VENV)/.browser-deps
	$(BIN)/python -m pytest tests/browser -p no:nbval -o addopts="" -p no:cacheprovider

## make test-dist: build the wheel and sdist, install the wheel in fresh venvs outside the repository,
## copy the suite with `backproplib notebooks` and run it there under nbval, and try a setup cell
test-dist: $(VENV)/.test-deps $(VENV)/.dist-deps
	$(BIN)/python -m pytest tests/dist -p no:nbval -o addopts="" -p no:cacheprovider

## make test-nbgrader: export solutions/ as an nbgrader course (backproplib.nbgrader_export) and let nbgrader
## itself generate, autograde and score right, wrong, blank and tampered submissions.  nbgrader (with
## SQLAlchemy, alembic, …) lives in its own venv, .venv-nbgrader, so .venv stays small.
NBG_VENV := .venv-nbgrader
$(NBG_VENV)/.deps: pyproject.toml
	test -x $(NBG_VENV)/bin/python || $(PY) -m venv $(NBG_VENV)
	$(NBG_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NBG_VENV)/bin/python -m pip install --quiet -e '.[nbgrader,test]'
	touch $@

test-nbgrader: $(NBG_VENV)/.deps
	PATH="$(CURDIR)/$(NBG_VENV)/bin:$$PATH" \
	    $(NBG_VENV)/bin/python -m pytest tests/nbgrader -p no:nbval -o addopts="" -p no:cacheprovider

## make test-lowest: the unit tests and the notebooks with widgets (01-09, under nbval) on the lowest
## versions of numpy, matplotlib, ipywidgets and pillow that pyproject's floors allow (the lowest with a wheel
## for this Python), in its own venv .venv-lowest, made afresh each run with uv; the test tools resolve as usual.
LOWEST := .venv-lowest
test-lowest:
	rm -rf $(LOWEST)
	$(PY) -m venv $(LOWEST)
	$(LOWEST)/bin/python -m pip install --quiet uv
	$(LOWEST)/bin/uv pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct \
	    --only-binary numpy --only-binary matplotlib --only-binary ipywidgets --only-binary pillow -e .
	$(LOWEST)/bin/uv pip freeze --quiet --python $(LOWEST)/bin/python --exclude-editable > $(LOWEST)/floors.txt
	$(LOWEST)/bin/uv pip install --quiet --python $(LOWEST)/bin/python -c $(LOWEST)/floors.txt -e '.[test]'
	grep -i -E '^(numpy|matplotlib|ipywidgets|pillow)==' $(LOWEST)/floors.txt
	$(LOWEST)/bin/python -m pytest tests -p no:nbval -o addopts="" -W error::RuntimeWarning -p no:cacheprovider \
	    --ignore=tests/browser --ignore=tests/dist --ignore=tests/nbgrader
	$(LOWEST)/bin/python -m pytest notebooks/0[1-9]_*.ipynb -p no:cacheprovider

clean:
	rm -rf $(VENV) .venv-lowest .venv-nbgrader build dist *.egg-info
