# postroom — build and check targets. `make test` is what CI runs (via .ci/run).

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PG_URL  ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test

LINT_DIRS := $(wildcard core adapters bot tests bench)
BENCHES   := $(wildcard bench/*.py)

.DEFAULT_GOAL := test
.PHONY: venv run lint hadolint typecheck imports browser test test-sqlite test-postgres bench fmt clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -U pip
	$(BIN)/pip install -e '.[dev]'
	touch $@

# The SQLite default brings its schema up to date itself; logs go to var/postroom.log.
run: venv
	@$(BIN)/postroom run

lint: venv
	$(BIN)/ruff check $(LINT_DIRS)
	$(BIN)/ruff format --check $(LINT_DIRS)

# The image is linted, not built: base images cannot be pulled on every machine that tests.
hadolint: venv
	$(BIN)/hadolint Dockerfile

typecheck: venv
	$(BIN)/mypy

imports: venv
	$(BIN)/lint-imports

# The media kit's page is checked in a real headless browser (tests/mediakit/test_browser.py):
# Debian's Chromium, installed here when missing (as root; apt-get needs it).
CHROMIUM := /usr/bin/chromium

browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "browser: installing Debian's chromium for the page tests"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -q && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; \
		else \
			echo "browser: $(CHROMIUM) is missing; install Debian's chromium (apt-get install chromium) or the browser test skips (fails under CI=1)" >&2; \
		fi; \
	fi

test-sqlite: venv browser
	POSTROOM_TEST_DATABASE=sqlite $(BIN)/pytest

test-postgres: venv browser
	POSTROOM_TEST_DATABASE='$(PG_URL)' $(BIN)/pytest

test: venv
	$(MAKE) lint
	$(MAKE) hadolint
	$(MAKE) typecheck
	$(MAKE) imports
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

bench: venv
ifeq ($(strip $(BENCHES)),)
	@echo "no benchmarks in bench/"
else
	@set -e; for f in $(BENCHES); do echo "== $$f"; $(BIN)/python $$f; done
endif

fmt: venv
	$(BIN)/ruff format $(LINT_DIRS)
	$(BIN)/ruff check --fix $(LINT_DIRS)

# var/ holds runtime data (e.g. the sandbox secret key file) and is deliberately kept.
clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
