# The two commands of the README:  make demo   and   make test
# Both create .venv at the repo root with the Python found as $(PYTHON) (3.11 or newer).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test venv lint bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "UtilityFlow needs Python 3.11 or newer; set PYTHON=python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Runtime install (for the demo); re-done when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

# Everything, with the Great Expectations and Soda extras and the test tools.
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[gx,soda,dev]'
	@touch $@ $(VENV)/.installed-run

venv: $(VENV)/.installed-dev

demo: $(VENV)/.installed-run
	$(BIN)/utilityflow demo

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy checks monitor warehouse loaders dashboard

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
