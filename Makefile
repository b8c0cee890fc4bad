# The two commands for people are `make lab` and `make test` (see README.md).
# Each creates .venv if it is missing and installs what it needs into it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: lab test unit exercises clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.lab-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	touch $@

## make lab: open the lecture notebooks in JupyterLab
lab: $(VENV)/.lab-deps
	$(BIN)/jupyter lab notebooks/

## make test: unit tests, then every notebook under nbval (outputs compared)
test: $(VENV)/.test-deps
	$(BIN)/python -m pytest

## make unit: the unit tests alone (no notebooks), for a quick loop
unit: $(VENV)/.test-deps
	$(BIN)/python -m pytest tests -p no:nbval -o addopts=""

## make exercises: regenerate exercises/ and notebooks/live/ from solutions/ and notebooks/
exercises: $(VENV)/.test-deps
	$(BIN)/python -m backproplib.authoring exercises

clean:
	rm -rf $(VENV) build *.egg-info
