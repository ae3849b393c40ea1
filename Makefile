# Two commands do everything on a fresh machine:
#   make demo   - set up, then run the main job end to end on the bundled example (no API key, no network)
#   make test   - set up, then run lint, type checks and the whole test suite
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh

demo: setup
	$(BIN)/rft demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest
	$(BIN)/rft check graders/ examples/

bench: setup
	$(BIN)/python benchmarks/bench_graders.py

clean:
	rm -rf runs .pytest_cache .mypy_cache .ruff_cache
