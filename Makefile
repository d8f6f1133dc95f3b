# The README's commands. Each target installs what it needs into .venv first (no network beyond PyPI).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export LINLI_HOME ?= .linli/demo

.PHONY: install demo test lint typecheck unit eval serve bench clean browser-deps db-deps

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip 2>/dev/null || true
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/linli demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Debian's chromium for tests/browser (apt-get, only when it is missing); Playwright never downloads a browser.
browser-deps:
	scripts/install-browser.sh

# Debian's PostgreSQL server binaries for the tests marked both_databases (apt-get, only when missing); the tests
# start their own throwaway cluster on a unix socket (evals/pgserver.py), never a system service.
db-deps:
	scripts/install-postgres.sh

unit: $(STAMP) browser-deps db-deps
	$(BIN)/pytest

eval: $(STAMP)
	$(BIN)/linli eval

test: lint typecheck unit eval

serve: $(STAMP)
	$(BIN)/linli serve

clean:
	rm -rf $(VENV) .linli evals/.work .pytest_cache .ruff_cache .mypy_cache

bench: $(STAMP)
	$(BIN)/python -m evals.bench.run
