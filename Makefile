# auditui: two commands. `make run` serves the dashboard on the embedded default;
# `make test` installs what the tests need and runs them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The product's packages that exist: mypy checks them (alerts/ and reports/ from their first file).
APPS := $(wildcard auditui alerts reports)

.PHONY: run test venv deps deps-dev system-deps lint migrate demo worker beat web clean opensearch

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

deps: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt

deps-dev: $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt

# Services the integration tests use (redis-server). Installed from Debian packages when we can.
system-deps:
	@bash tools/system-deps.sh

run: deps
	@HOST=$(HOST) PORT=$(PORT) bash tools/run-embedded.sh

test: deps-dev system-deps
	$(BIN)/pytest $(PYTEST_ARGS)

# ruff, the architecture's import contracts (.importlinter) and mypy (pyproject.toml; its cache in
# .mypy_cache, and the settings' data directory there too so that it writes nothing under ./var).
lint: deps-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	AUDITUI_DATA_DIR=$(CURDIR)/.mypy_cache/data $(BIN)/mypy $(APPS)

migrate: deps
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py demo

# A single-node OpenSearch 2.19 on 127.0.0.1 in the foreground (needs Java 17+ and Maven; the first run downloads
# its jars from Maven Central). Port: OPENSEARCH_PORT (default 9200). A fresh data dir each run, unless
# OPENSEARCH_KEEP_DATA=1 (keeps var/opensearch) or OPENSEARCH_HOME=DIR. See tools/opensearch/README.md.
opensearch:
	@bash tools/opensearch/run.sh

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
