# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Two stamps: `make run` installs the runtime requirements only; `make install` (and so
# `make test`, `make lint`, `make bench`) adds the test and bench ones and the browsers.
RUN_STAMP := $(VENV)/.installed-run-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
STAMP := $(VENV)/.installed-all-$(shell cat requirements.txt requirements-test.txt requirements-bench.txt | cksum | cut -d' ' -f1)

# The suite runs against the real PostgreSQL and Redis (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cqrs
TEST_BROKER_URL ?= redis://127.0.0.1:6379/0
# The integration suite's second pass keeps the read side in a second database: the private
# read primary of scripts/read-replica-pair.sh, with its hot standby serving queries
# (docs/read-database.md). Where the pair cannot start (not root, no initdb) and CI is not
# set, the second pass uses TEST_READ_DATABASE_URL alone and the replica tests skip.
TEST_READ_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cqrs_read
TEST_PAIR_READ_DATABASE_URL ?= postgres://postgres@127.0.0.1:5433/cqrs_read
TEST_PAIR_REPLICA_URLS ?= postgres://postgres@127.0.0.1:5434/cqrs_read

.PHONY: install install-run run test lint format bench soak clean

install: $(STAMP)
	@bash scripts/install-chromium.sh  # the admin's browser test drives Debian's chromium
	@bash scripts/install-nginx.sh  # the reverse-proxy test runs Debian's nginx with deploy/nginx/

# What `make run` needs: requirements.txt only, no browser, no nginx.
install-run: $(RUN_STAMP)

$(RUN_STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-run-*
	touch $@

# requirements-bench.txt too: the suite runs a quick benchmark to keep the harness working.
$(STAMP): requirements.txt requirements-test.txt requirements-bench.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-test.txt -r requirements-bench.txt
	rm -f $(VENV)/.installed-all-* $(VENV)/.installed-run-*
	touch $@ $(RUN_STAMP)

# The service on http://127.0.0.1:8000 plus a Celery worker (with beat). With no
# DATABASE_URL / CELERY_BROKER_URL set: a SQLite file and a filesystem broker under var/.
run: install-run
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
# database and its replica (docs/read-database.md); a READ_DATABASE_URL of your own (and
# READ_REPLICA_URLS) replaces the pair. Exit status 5: ARGS selected no integration test.
test: install
	READ_DATABASE_URL= READ_REPLICA_URLS= $(TEST_ENV) $(PY) -m pytest $(ARGS)
	if [ -n "$$READ_DATABASE_URL" ]; then read="$$READ_DATABASE_URL" replicas="$$READ_REPLICA_URLS"; \
	elif bash scripts/read-replica-pair.sh start >/dev/null; then \
		read="$(TEST_PAIR_READ_DATABASE_URL)" replicas="$(TEST_PAIR_REPLICA_URLS)"; \
	elif [ "$$CI" = true ]; then echo "make test: the read replica pair did not start" >&2; exit 1; \
	else echo "make test: no read replica pair; second pass on $(TEST_READ_DATABASE_URL) alone" >&2; \
		read="$(TEST_READ_DATABASE_URL)" replicas=; fi; \
	$(TEST_ENV) READ_DATABASE_URL="$$read" READ_REPLICA_URLS="$$replicas" \
	$(PY) -m pytest -m integration $(ARGS) || [ $$? -eq 5 ]

# ruff, the import contracts in pyproject.toml ([tool.importlinter]; docs/architecture.md),
# then mypy ([tool.mypy]: strict on eventstore/ and commands_app/framework/). The Django
# plugin imports the settings, which need a SECRET_KEY and a DATA_KEY_MASTER (any will do).
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	SECRET_KEY=$${SECRET_KEY:-lint-only} DATA_KEY_MASTER=$${DATA_KEY_MASTER:-dGVzdC1vbmx5LWRhdGEta2V5LW1hc3Rlci0zMmJ5dGU=} \
	$(PY) -m mypy .

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
