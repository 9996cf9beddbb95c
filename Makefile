# tracker – the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app tracker
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres bench system-deps install translations \
        extract-messages update-messages lint clean

# Debian packages the project needs (WeasyPrint's Pango, fonts, PostgreSQL, Chromium,
# poppler-utils); installs only what is missing.
system-deps:
	@bash .ci/system-deps

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: system-deps $(STAMP) translations

# Compile the message catalogues (.po -> .mo); the .mo files are build products.
translations: $(STAMP)
	$(BIN)/pybabel -q compile -d tracker/translations

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o tracker/translations/messages.pot .

update-messages: extract-messages
	$(BIN)/pybabel -q update -N -i tracker/translations/messages.pot -d tracker/translations

run: install
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	@echo
	@echo "  tracker runs on http://127.0.0.1:$(PORT)/"
	@echo "  demo admin: admin@example.org / $$($(BIN)/python -c 'from tracker.demo.data import DEMO_PASSWORD; print(DEMO_PASSWORD)')"
	@echo
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install
	@status=0; \
	echo "=== tests on SQLite ==="; \
	$(BIN)/pytest -q -p no:cacheprovider || status=1; \
	echo "=== tests on PostgreSQL ==="; \
	bash .ci/with-postgres $(BIN)/pytest -q -p no:cacheprovider || status=1; \
	exit $$status

test-sqlite: install
	$(BIN)/pytest -q

test-postgres: install
	bash .ci/with-postgres $(BIN)/pytest -q

# Every section on SQLite, then the reminders pass and the email ingest on a throw-away
# PostgreSQL.
bench: install
	$(BIN)/python -m tests.bench
	bash .ci/with-postgres $(BIN)/python -m tests.bench reminders ingest

lint: $(STAMP)
	$(BIN)/ruff check tracker tests config.py

clean:
	rm -rf $(VENV) instance/tracker.db tracker/translations/*/LC_MESSAGES/*.mo
