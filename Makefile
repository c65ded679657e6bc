# OneSeal — 一枚印章管审批
# make run      install, create the SQLite database with demo data, serve at http://127.0.0.1:8000
# make test     install, type-check app/ (make typecheck) and run the whole suite
# make install  install into .venv, bpmn-js and the modeler's bundle into node_modules (npm ci), and Debian's
#               Chromium with a Chinese font for the browser tests when missing (idempotent)

# The interpreter the venv is made from: the distribution's /usr/bin/python3 when it is 3.11–3.13 and
# can make a venv, else python3 on the PATH; PYTHON=… overrides. Debian's is built with profile-guided
# and link-time optimization: the server spends 15–25% less CPU a request on it than on a plain
# source build of the same version (pyenv's, here: scripts/bench_http.py, README "Measured figures").
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys, ensurepip, venv; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' \
	2>/dev/null && echo /usr/bin/python3 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

NPM_STAMP := node_modules/.package-lock.json
MODELER_BUNDLE := node_modules/.oneseal/modeler.js
CHROMIUM := /usr/bin/chromium

.PHONY: install browser run typecheck test test-postgres lint clean print-python

install: $(STAMP) $(NPM_STAMP) $(MODELER_BUNDLE) browser

# bpmn-js (the diagram viewer) from the npm registry, exactly as package-lock.json pins it;
# served by the pages from node_modules, never committed
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# the designers' modeler: app/web/modeler_src bundled by esbuild (pinned in package-lock.json);
# npm ci builds it too (postinstall); this rebuilds it when only the sources changed. Not committed.
$(MODELER_BUNDLE): $(NPM_STAMP) $(wildcard app/web/modeler_src/*)
	npm run --silent build:modeler

# Debian's Chromium (never a browser download) and a CJK font, for the Playwright tests
browser:
	@if [ ! -x $(CHROMIUM) ] || ! fc-list :lang=zh family 2>/dev/null | grep -q .; then \
	  echo "installing Debian's chromium and fonts-wqy-microhei"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	    chromium fonts-wqy-microhei fontconfig; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/oneseal init-db --demo
	$(BIN)/oneseal serve --host $(HOST) --port $(PORT)

# mypy over app/ ([tool.mypy] in pyproject.toml); make test runs it first, make test-postgres
# (the same code, another database) does not
typecheck: install
	$(BIN)/python -m mypy

test: install typecheck
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install
	ONESEAL_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(BIN)/python -m pytest $(PYTEST_ARGS)

# the interpreter a new venv would be made from (tests/unit/test_proof_scripts.py asks)
print-python:
	@echo $(PYTHON)

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache node_modules
