# The README's two commands: `make demo` and `make test`. Both create .venv when needed.
# DATABASE_URL=postgres://... switches either to PostgreSQL (SQLite is the default).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_PASSWORD ?= demo-Credits-2026
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in the demo's emails and its banner use the chosen address (make demo PORT=8101).
CONSOLE_BASE_URL ?= http://$(HOST):$(PORT)
# The demo's emails: one file per message here (config/settings/dev.py), not the terminal.
EMAIL_FILE_PATH ?= $(CURDIR)/var/emails
PYTEST_ARGS ?=
# `make test` runs the tests on every core (pytest-xdist; each worker has its own test
# database and live server). --dist loadgroup hands the tests out in pytest-django's order,
# so on every worker the tests that empty the database (transactional, browser) still come
# after the others, and keeps the tests marked xdist_group("seeded_demo") (tests/seeded_demo/)
# on one worker, so the demo they read is seeded once, not once per worker. TEST_WORKERS=0 (or
# PYTEST_ARGS="-n 0") runs them in one process.
TEST_WORKERS ?= auto

.PHONY: install demo test lint migrations-check deploy-check clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

# The translation catalogs are compiled (.po to .mo) by Babel, in Python: no GNU gettext.
install: $(BIN)/.installed
	$(BIN)/python manage.py compile_catalogs

demo: export CONSOLE_BASE_URL := $(CONSOLE_BASE_URL)
demo: export EMAIL_FILE_PATH := $(EMAIL_FILE_PATH)
demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --password "$(DEMO_PASSWORD)"
	@echo ""
	@echo "Console: $(CONSOLE_BASE_URL)/  (admin@contoso.example / $(DEMO_PASSWORD))"
	@echo "Backoffice: $(CONSOLE_BASE_URL)/admin/  (platform@console.example)"
	@echo "Second factor (Global/Billing admins, platform): $(BIN)/python manage.py demo_code admin@contoso.example"
	@echo "Emails: $(EMAIL_FILE_PATH)/  (one .eml file per message)"
	@echo "Ctrl+C stops the web server and the background worker."
	@$(BIN)/python manage.py db_worker --queue-name '*' --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

# The production settings with dummy secrets must pass Django's deployment checks.
deploy-check: install
	DJANGO_SETTINGS_MODULE=config.settings.production \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	ALLOWED_HOSTS=console.example.com \
	DATABASE_URL=$${DATABASE_URL:-sqlite:///$(CURDIR)/db.sqlite3} \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis staticfiles
