# auditui: two commands. `make run` serves the dashboard on the embedded default;
# `make test` installs what the tests need and runs them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv deps deps-dev system-deps lint migrate demo worker beat web clean

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

clean:
	rm -rf var .pytest_cache .ruff_cache
