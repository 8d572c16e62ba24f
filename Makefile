# Two commands a newcomer needs: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck check bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Herald needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Install everything and run Herald on SQLite (./var/herald.db) at http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/herald serve

## Install everything and run the whole test suite (SQLite and PostgreSQL)
test: $(STAMP)
	bash scripts/ensure-postgres.sh
	$(BIN)/pytest -n 2 --dist loadfile -q

## ruff, and the import contract (the layers of docs/adr/0009-layers-and-boundaries.md)
lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
