# OneSeal — 一枚印章管审批
# make run      install, create the SQLite database with demo data, serve at http://127.0.0.1:8000
# make test     install and run the whole suite
# make install  install into .venv (idempotent)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test test-postgres lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/oneseal init-db --demo
	$(BIN)/oneseal serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install
	ONESEAL_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
