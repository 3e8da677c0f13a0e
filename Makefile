# onewindow: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000
CHECKED := $(wildcard src tests benchmarks)

.PHONY: run run-partner test test-postgres lint typecheck pytest browser-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# A random secret key, made once per checkout and kept out of git.
var/onewindow.env:
	mkdir -p var
	$(PYTHON) -c "import secrets; print('ONEWINDOW_SECRET_KEY=' + secrets.token_urlsafe(48))" > $@

## make run: install, create or upgrade the database, load reference and demo data, serve.
run: $(VENV)/.installed var/onewindow.env
	$(BIN)/onewindow init --demo
	$(BIN)/onewindow serve --host $(HOST) --port $(PORT)

## make run-partner: the demo beside a second demo country (IE on port 8001), each registered
## as the other's partner single window, with keys of their own: watch "Partner messages".
PARTNER ?= IE
PARTNER_PORT ?= 8001
COUNTRY ?= GB
PARTNER_ENV := ONEWINDOW_DATABASE_URL=sqlite:///$(CURDIR)/var/partner.db ONEWINDOW_COUNTRY=$(PARTNER) \
  ONEWINDOW_CURRENCY=EUR ONEWINDOW_STATISTICS_DIR=$(CURDIR)/var/partner-statistics \
  ONEWINDOW_AUDIT_CHECKPOINT_FILE=$(CURDIR)/var/partner-audit-checkpoints.jsonl
run-partner: $(VENV)/.installed var/onewindow.env
	$(BIN)/onewindow init --demo
	$(PARTNER_ENV) $(BIN)/onewindow init --demo
	test -d var/exchange-$(COUNTRY) || $(BIN)/onewindow exchange keys make var/exchange-$(COUNTRY)
	test -d var/exchange-$(PARTNER) || $(PARTNER_ENV) $(BIN)/onewindow exchange keys make var/exchange-$(PARTNER)
	$(BIN)/onewindow exchange partners add $(PARTNER) http://$(HOST):$(PARTNER_PORT) \
	  --certificate "$$(ls var/exchange-$(PARTNER)/*.crt | head -1)"
	$(PARTNER_ENV) $(BIN)/onewindow exchange partners add $(COUNTRY) http://$(HOST):$(PORT) \
	  --certificate "$$(ls var/exchange-$(COUNTRY)/*.crt | head -1)"
	$(PARTNER_ENV) $(BIN)/onewindow serve --host $(HOST) --port $(PARTNER_PORT) & \
	  trap "kill $$!" EXIT INT TERM; $(BIN)/onewindow serve --host $(HOST) --port $(PORT)

## make test: lint, type-check and run every test (browser tests in Debian's Chromium).
test: $(VENV)/.installed-test browser-deps lint typecheck pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check $(CHECKED)
	$(BIN)/ruff format --check $(CHECKED)

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

pytest: $(VENV)/.installed-test
	$(BIN)/python -m pytest

## make test-postgres: the same tests on PostgreSQL (ONEWINDOW_TEST_DATABASE_URL must name it).
test-postgres: $(VENV)/.installed-test browser-deps
	@test -n "$$ONEWINDOW_TEST_DATABASE_URL" || \
	  (echo "set ONEWINDOW_TEST_DATABASE_URL=postgresql+psycopg://user@host:port/db" && exit 2)
	$(BIN)/python -m pytest

AXE := tests/browser/node_modules/axe-core/axe.min.js

browser-deps: $(AXE)
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# The accessibility engine the browser tests run in every page, from its npm package.
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Debian's npm for the accessibility checks"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm >/dev/null; }
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache tests/browser/node_modules
