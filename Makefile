# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: run test lint unit browser bench-webhook clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version.split()[0] + "; try: make PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[dev]'
	touch $(VENV)/.run-installed $@

run: $(VENV)/.run-installed
	$(BIN)/presave db upgrade
	$(BIN)/presave up

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(VENV)/.dev-installed browser
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest

# The browser tests (tests/e2e) drive Debian's chromium; they skip, saying why, without it.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ -x $(CHROMIUM) ]; then \
		echo "browser tests: using $(CHROMIUM)"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "browser tests will be skipped: $(CHROMIUM) is missing and apt-get is not available"; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "browser tests will be skipped: $(CHROMIUM) is missing; as root run: apt-get install chromium"; \
	else \
		echo "installing Debian's chromium for the browser tests"; \
		(export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq chromium) \
			|| echo "browser tests will be skipped: installing chromium failed"; \
	fi

unit: $(VENV)/.dev-installed
	$(BIN)/python -m pytest tests/unit

clean:
	rm -rf $(VENV) build *.egg-info
