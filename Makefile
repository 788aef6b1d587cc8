# Hotline: `make run` starts the service on the embedded default; `make test` runs the whole suite.
PY ?= $(shell for p in python3.13 python3.12 python3.11 python3; do $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Every version installed by `make run`, `make test` and the Dockerfile is pinned here; `make lock` rewrites it.
CONSTRAINTS := constraints.txt
# axe-core for the browser tests' accessibility checks, pinned by tests/accessibility/package-lock.json.
AXE_DIR := $(VENV)/axe
AXE := $(AXE_DIR)/node_modules/axe-core/axe.min.js

.PHONY: setup axe lock run test eval lint bench clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -n "$(PY)" || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Without npm (or the registry) the accessibility checks skip and say why; the rest of the suite runs.
$(AXE): tests/accessibility/package.json tests/accessibility/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		mkdir -p $(AXE_DIR) && cp tests/accessibility/package.json tests/accessibility/package-lock.json $(AXE_DIR)/ && \
		npm ci --prefix $(AXE_DIR) --no-audit --no-fund --loglevel=error \
		|| echo "could not install axe-core with npm: the accessibility checks will skip"; \
	else echo "npm is missing: the accessibility checks (axe-core) will skip"; fi

axe: $(AXE)

# After a change of dependencies in pyproject.toml: pins what is new and keeps every other pin;
# `make lock UPGRADE=1` moves every pin to the newest release instead (then run `make test`).
lock: setup  ## re-pin constraints.txt from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --quiet \
		--custom-compile-command "make lock" \
		$(if $(UPGRADE),--upgrade) -o $(CONSTRAINTS)
	$(BIN)/pip install -q -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

REGISTRY_PORT ?= 8010

# The sandbox registry runs beside the service and stops with it (a background job ignores Ctrl-C, hence the trap).
run: setup  ## start the service on http://127.0.0.1:8000 (SQLite + embedded Redis, demo content) + sandbox registry
	@$(BIN)/hotline registry-sandbox --host 127.0.0.1 --port $(REGISTRY_PORT) & sandbox=$$!; \
	trap 'kill $$sandbox 2>/dev/null' EXIT INT TERM; \
	HOTLINE_REGISTRY_URL="$${HOTLINE_REGISTRY_URL:-http://127.0.0.1:$(REGISTRY_PORT)/restapi}" \
	$(BIN)/hotline serve --host 127.0.0.1 --port 8000

# Test files run on two workers (pytest-xdist), each file whole on one of them so its module-scoped servers
# start once. Safe in parallel as the suite is beside other runs: free ports, Redis key prefixes and a
# PostgreSQL database per worker. `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= 2

test: setup axe  ## the whole suite: unit, integration (Redis, SQLite, PostgreSQL), browser with accessibility checks
	$(BIN)/pytest -q -ra -n $(TEST_WORKERS) --dist loadfile

eval: setup  ## intent-matching figures on the public sets (../shared/eval/ when present, else tests/data/)
	$(BIN)/python -m intents.evaluation

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy hotline intents channels ivr specialist_queue registry_client privacy selfservice

bench: setup  ## matcher latency; figures go to docs/BENCHMARKS.md (BASELINE=<git ref> measures that commit too)
	$(BIN)/python bench/match_bench.py --write $(if $(BASELINE),--baseline $(BASELINE))

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
