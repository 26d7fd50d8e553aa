# Two commands a new user needs: `make demo` and `make test`. Both set themselves up.
SHELL := /bin/bash
VENV ?= .venv
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export NUMBA_CACHE_DIR ?= $(HOME)/.cache/embedgate/numba
SUITE ?= suites/quickstart.yaml

.PHONY: setup demo test test-fast sample clean

setup:
	@scripts/bootstrap.sh

demo: setup
	$(VENV)/bin/embedgate run $(SUITE)

test: setup
	$(VENV)/bin/python -m pytest -q

test-fast: setup
	$(VENV)/bin/python -m pytest -q -m "not slow"

clean:
	rm -rf reports/quickstart .pytest_cache
