# One task runner for people and CI. Every target creates .venv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := kb/web/static/vendor/MANIFEST.json
SHARED ?= ../shared

.PHONY: setup vendor run test lint typecheck eval bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

## The pages' front-end files, fetched from npm at the versions pinned in the script.
$(VENDOR): scripts/vendor_frontend.py
	$(PY) scripts/vendor_frontend.py

vendor: $(VENDOR)

setup: $(STAMP) $(VENDOR)

## Build the knowledge base from the bundled sample, then serve it.
run: setup
	$(BIN)/kb ingest --sample
	$(BIN)/kb serve

## Lint, format check, and the layering contract (pyproject's [tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check kb ingest tests bench scripts
	$(BIN)/ruff format --check kb ingest tests bench scripts
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

## Lint, type-check, then the whole test suite.
test: setup lint typecheck
	$(BIN)/pytest

## Score extraction on the dev set and the seed study.
eval: $(STAMP)
	$(BIN)/kb extract $(SHARED)/eval/dev/records.xml --format jsonl > $(VENV)/dev-pred.jsonl
	$(BIN)/python $(SHARED)/eval/score.py --gold $(SHARED)/eval/dev/gold.jsonl --pred $(VENV)/dev-pred.jsonl
	$(BIN)/kb extract $(SHARED)/data/seed/durant-2001.xml --format jsonl > $(VENV)/seed-pred.jsonl
	$(BIN)/python $(SHARED)/eval/score.py --gold $(SHARED)/eval/seed-gold.jsonl --pred $(VENV)/seed-pred.jsonl

bench: $(STAMP)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .kb .pytest_cache .mypy_cache .ruff_cache kb/web/static/vendor
