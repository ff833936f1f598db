# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-bench.txt | cksum | cut -d' ' -f1)

# The suite runs against the real PostgreSQL and Redis (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cqrs
TEST_BROKER_URL ?= redis://127.0.0.1:6379/0
# The integration suite's second pass keeps the read side in this second database.
TEST_READ_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cqrs_read

.PHONY: install run test lint format bench soak clean

install: $(STAMP)
	@bash scripts/install-chromium.sh  # the admin's browser test drives Debian's chromium
	@bash scripts/install-nginx.sh  # the reverse-proxy test runs Debian's nginx with deploy/nginx/

# requirements-bench.txt too: the suite runs a quick benchmark to keep the harness working.
$(STAMP): requirements.txt requirements-bench.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-bench.txt
	rm -f $(VENV)/.installed-*
	touch $@

# The service on http://127.0.0.1:8000 plus a Celery worker (with beat). With no
# DATABASE_URL / CELERY_BROKER_URL set: a SQLite file and a filesystem broker under var/.
run: install
	DEBUG=$${DEBUG-1} $(PY) manage.py migrate --noinput
	if [ -n "$$READ_DATABASE_URL" ]; then DEBUG=$${DEBUG-1} $(PY) manage.py migrate --noinput --database read; fi
	DEBUG=$${DEBUG-1} $(PY) -m celery -A config worker --beat --loglevel=info --concurrency=1 \
		--schedule var/celerybeat-schedule & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=$${DEBUG-1} $(PY) manage.py runserver $${HOST:-127.0.0.1}:$${PORT:-8000}

TEST_ENV = DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
	SECRET_KEY=$${SECRET_KEY:-test-only-secret} \
	DATA_KEY_MASTER=$${DATA_KEY_MASTER:-dGVzdC1vbmx5LWRhdGEta2V5LW1hc3Rlci0zMmJ5dGU=}

# The suite with one database, then the `integration` tests again with a separate read
# database (docs/read-database.md). Exit status 5: ARGS selected no integration test.
test: install
	READ_DATABASE_URL= $(TEST_ENV) $(PY) -m pytest $(ARGS)
	$(TEST_ENV) READ_DATABASE_URL=$${READ_DATABASE_URL:-$(TEST_READ_DATABASE_URL)} \
	$(PY) -m pytest -m integration $(ARGS) || [ $$? -eq 5 ]

# ruff, then the import contracts in pyproject.toml ([tool.importlinter]; docs/architecture.md).
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Benchmarks against the peers, in one run (docs/performance.md); ARGS=--quick for a smoke run.
# Uses the PostgreSQL and Redis that are there; creates and drops its own databases and keys.
bench: install
	$(PY) -m bench $(ARGS)

# A steady shop load with the saga running, printed minute by minute (docs/performance.md);
# not part of `make test`. `make soak SOAK_MINUTES=3` for a short one.
SOAK_MINUTES ?= 30
soak: install
	$(PY) -m bench.soak --minutes $(SOAK_MINUTES) $(ARGS)

clean:
	rm -rf var .pytest_cache
