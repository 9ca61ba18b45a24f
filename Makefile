# One command to run the demo, one to run the tests (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Synthetic patients added beside the demo's own (seed_load --beside-demo), so the commissioner
# dashboard shows figures rather than counts too small to publish.
DEMO_POPULATION ?= 400
# The local demo runs on plain http with staff second factor off; production leaves both on.
DEMO_ENV := HTTPS=$${HTTPS:-0} REQUIRE_STAFF_MFA=$${REQUIRE_STAFF_MFA:-0} SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)}

.PHONY: setup setup-dev assets run test lint clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/.installed: node_modules/.installed
	rm -rf static/vendor && mkdir -p static/vendor/nhsuk-frontend static/vendor/htmx
	cp node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css \
	   node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.js static/vendor/nhsuk-frontend/
	cp -r node_modules/nhsuk-frontend/dist/nhsuk/assets static/vendor/nhsuk-frontend/
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
	# Serve no third-party fonts: the CSP allows fonts from our origin only, and the NHS.UK
	# font stack falls back to Arial.
	sed -i -E 's/@font-face\{[^}]*\}//g' static/vendor/nhsuk-frontend/nhsuk-frontend.min.css
	touch $@

assets: static/vendor/.installed

setup: $(VENV)/.installed assets

setup-dev: $(VENV)/.installed-dev assets

run: setup
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py collectstatic --noinput -v0
	$(DEMO_ENV) $(PY) manage.py seed_demo
	if [ "$(DEMO_POPULATION)" -gt 0 ]; then \
	  $(DEMO_ENV) $(PY) manage.py seed_load --beside-demo --patients $(DEMO_POPULATION) --days 180; \
	fi
	@echo "Starting the web server on http://$(HOST):$(PORT)/ and a Celery worker with beat"
	@export $(DEMO_ENV); \
	  $(VENV)/bin/celery -A pathway worker --beat --loglevel=INFO --concurrency=2 \
	    --without-gossip --without-mingle & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(VENV)/bin/gunicorn pathway.wsgi --bind $(HOST):$(PORT) --access-logfile -

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest

clean:
	rm -rf $(VENV) node_modules static/vendor var
