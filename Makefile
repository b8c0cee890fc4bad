# The two commands for people are `make lab` and `make test` (see README.md).
# Each creates .venv if it is missing and installs what it needs into it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_PORT ?= 8866

.PHONY: lab test unit exercises bench demo test-browser clean

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

## make lab: open the lecture notebooks in JupyterLab
lab: $(VENV)/.lab-deps
	$(BIN)/jupyter lab notebooks/

## make test: unit tests, a benchmark smoke run, then every notebook under nbval (outputs compared)
test: $(VENV)/.test-deps
	$(BIN)/python -m pytest

## make unit: the unit tests alone (no notebooks), for a quick loop
unit: $(VENV)/.test-deps
	$(BIN)/python -m pytest tests -p no:nbval -o addopts="" --ignore=tests/browser

## make exercises: run solutions/, regenerate exercises/ and the live copies in notebooks/live/
exercises: $(VENV)/.test-deps
	$(BIN)/python -m backproplib.authoring generate

## make bench: benchmarks against micrograd, numpy and torch; writes benchmarks/RESULTS.md
bench: $(VENV)/.test-deps $(VENV)/.bench-deps
	$(BIN)/python benchmarks/run.py

## make demo: the lecture notebooks as Voilà apps (code hidden) on 127.0.0.1; open the address it prints
demo: $(VENV)/.demo-deps
	PORT=$(DEMO_PORT) sh tests/browser/demo.sh

## make test-browser: every notebook widget driven in headless Chromium (Voilà and JupyterLab)
test-browser: $(VENV)/.test-deps $(VENV)/.browser-deps
	$(BIN)/python -m pytest tests/browser -p no:nbval -o addopts="" -p no:cacheprovider

clean:
	rm -rf $(VENV) build *.egg-info
