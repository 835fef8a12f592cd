# Two commands for a newcomer: `make run` starts Herald, `make test` runs every check.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: uv install run test lint typecheck pytest bench clean

uv:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

install: uv
	$(UV) sync --frozen

run: install
	$(UV) run --frozen herald serve --host $(HOST) --port $(PORT)

lint: install
	$(UV) run ruff check src tests bench
	$(UV) run ruff format --check src tests bench

typecheck: install
	$(UV) run mypy

pytest: install
	$(UV) run pytest -q -n 2

test: lint typecheck pytest

bench: install
	$(UV) run python bench/pipeline.py

clean:
	rm -rf .venv .herald .pytest_cache .mypy_cache .ruff_cache
