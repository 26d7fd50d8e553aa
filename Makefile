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
	@scripts/install-browser.sh  # chromium for the report's browser test (a no-op unless root and missing)
	$(VENV)/bin/python -m pytest -q

test-fast: setup
	$(VENV)/bin/python -m pytest -q -m "not slow"

# The committed sample report (reports/sample/report.html) and the results it renders from: a
# real quickstart run, with the committed baseline for the deltas and the drill-down.
sample: setup
	$(VENV)/bin/embedgate run suites/quickstart.yaml --out reports/quickstart -q; \
	  rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 1 ] || [ $$rc -eq 3 ] || exit $$rc
	mkdir -p reports/sample
	cp reports/quickstart/results.json reports/sample/results.json
	$(VENV)/bin/embedgate report reports/sample/results.json \
	  --baseline reports/baselines/quickstart.json --out reports/sample/report.html
	@ls -l reports/sample/report.html

clean:
	rm -rf reports/quickstart .pytest_cache
