# The README's two commands: `make demo` and `make test`. Both create .venv when needed.
# DATABASE_URL=postgres://... switches either to PostgreSQL (SQLite is the default).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_PASSWORD ?= demo-Credits-2026
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# `make test` runs the tests on every core (pytest-xdist; each worker has its own test
# database and live server). --dist load hands the tests out in pytest-django's order, so
# on every worker the tests that empty the database (transactional, browser) still come
# after the others. TEST_WORKERS=0 (or PYTEST_ARGS="-n 0") runs them in one process.
TEST_WORKERS ?= auto

.PHONY: install demo test lint migrations-check deploy-check clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

# The translation catalogs are compiled (.po to .mo) by Babel, in Python: no GNU gettext.
install: $(BIN)/.installed
	$(BIN)/python manage.py compile_catalogs

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --password "$(DEMO_PASSWORD)"
	@echo ""
	@echo "Console: http://$(HOST):$(PORT)/  (admin@contoso.example / $(DEMO_PASSWORD))"
	@echo "Backoffice: http://$(HOST):$(PORT)/admin/  (platform@console.example)"
	@echo "Ctrl+C stops the web server and the background worker."
	@$(BIN)/python manage.py db_worker --queue-name '*' --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist load $(PYTEST_ARGS)

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
