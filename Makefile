# Two commands a newcomer needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
PORT ?= 5000

.PHONY: run test lint format bench venv migrate demo worker cron clean initial-migration ci

$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

migrate: venv
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo seed --if-empty

## Serve the console on the embedded default (SQLite, in-process jobs, outbox files).
run: demo
	@echo
	@echo "  Console:  http://127.0.0.1:$(PORT)/admin/"
	@echo "  Portal:   http://127.0.0.1:$(PORT)/portal/"
	@$(FLASK) demo accounts
	@echo
	$(FLASK) run --host 127.0.0.1 --port $(PORT) --no-reload --with-threads

## The whole test suite (PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set).
test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

## What CI runs: system packages, lint, the suite on PostgreSQL + Redis with browser tests.
ci:
	.ci/run

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: venv
	$(PY) -m bench all

worker: venv
	$(FLASK) worker

cron: venv
	$(FLASK) cron

clean:
	rm -rf $(VENV) instance test-artifacts

## Before the first release only: rebuild the single initial migration from the models.
initial-migration: venv
	tmp=$$(mktemp -u /tmp/bo-migration-XXXXXX.sqlite); rm -f migrations/versions/*.py; \
	DATABASE_URL=sqlite:///$$tmp $(FLASK) db migrate -m "initial schema" --rev-id 0001 >/dev/null 2>&1; \
	status=$$?; rm -f $$tmp; exit $$status
