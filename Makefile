# Crisis Table: `make run` serves the app with a demo exercise; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

LOCK   := requirements.lock

.PHONY: run test install lint format bench clean lock

# Installs exactly what requirements.lock pins (with hashes), then the project itself without
# resolving anything again: two fresh machines get the same packages (docs/architecture.md).
$(STAMP): $(LOCK) pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is needed"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps .
	touch $(STAMP)

install: $(STAMP)

# Deliberate upgrade: re-resolve pyproject.toml's ranges to the newest releases and rewrite the
# lock with hashes. Review the diff, run `make lint test`, commit the lock.
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet 'pip-tools>=7.4'
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --upgrade --generate-hashes \
		--allow-unsafe --strip-extras --extra test --no-emit-index-url --no-emit-find-links \
		-o $(LOCK) pyproject.toml

# DEBUG is off unless asked for (docs/security.md): the local demo asks.
run: export DJANGO_DEBUG = 1
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_scenarios
	$(PY) manage.py demo
	$(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	@bin/ensure-chromium
	@bin/ensure-axe
	@bin/ensure-apt
	$(PY) -m pytest
	@bin/service-tests

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) db.sqlite3 test_db*.sqlite3 staticfiles
