# The two commands: `make run` (set up, build the index, serve) and `make test` (set up, run every check).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test install install-dev index lint typecheck pytest eval lock clean bench bench-http

run: install index
	$(BIN)/qa-api serve

test: install-dev lint typecheck pytest

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

$(VENV)/.runtime: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install -r requirements-dev.txt
	touch $@

index: install
	$(BIN)/qa-api index

lint: install-dev
	$(BIN)/ruff check .

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev
	$(BIN)/pytest

eval: install
	$(BIN)/qa-api eval eval/dev.jsonl

# Benchmarks (bench/README.md): engines compared on a synthetic corpus, ask/chat/search over HTTP on a text
# corpus (with the build from text), and the HTTP API under load.
PASSAGES ?= 1000000
$(VENV)/.bench: $(VENV)/.dev requirements-bench.txt
	$(PIP) install -r requirements-bench.txt
	touch $@

bench: $(VENV)/.bench
	$(BIN)/python -m bench.search --passages $(PASSAGES) --json
	$(BIN)/python -m bench.ask --passages $(PASSAGES) --json

bench-http: install
	bench/http

# Re-resolve the pins from requirements*.in in a scratch environment.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q -r requirements.in
	{ echo "# Pinned runtime dependencies, resolved from requirements.in (make lock)."; \
	  .lock-venv/bin/pip freeze --all | grep -viE '^(pip|setuptools|wheel)=='; } > requirements.txt
	.lock-venv/bin/pip install -q -r requirements-dev.in
	{ echo "# Pinned test and check tools, resolved from requirements-dev.in (make lock)."; echo "-r requirements.txt"; \
	  .lock-venv/bin/pip freeze --all | grep -viE '^(pip|setuptools|wheel)==' | grep -vxFf requirements.txt; } > requirements-dev.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) index/CURRENT index/build-* index/.tmp-* index/.lock .pytest_cache .mypy_cache .ruff_cache test-output
