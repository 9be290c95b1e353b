# auditui: two commands. `make run` serves the dashboard on the embedded default;
# `make test` installs what the tests need and runs them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

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

lint: deps-dev
	$(BIN)/ruff check .

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
	rm -rf var .pytest_cache .ruff_cache
