# Kỷ Cương: set-up, demo and tests. `make demo` and `make test` work from a fresh clone.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
KYCUONG := $(VENV)/bin/kycuong
PORT ?= 8000
export DEMO_PASSWORD ?= kycuong-demo
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/kycuong

.PHONY: setup demo test test-sqlite test-postgres lint system system-tests translations clean

$(VENV)/.installed: pyproject.toml
	@python=$$(scripts/find-python.sh) && echo "Using $$python" && \
	  { [ -x $(PY) ] || "$$python" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

system:
	@scripts/setup-system.sh

system-tests:
	@scripts/setup-system.sh --tests

translations: $(VENV)/.installed system
	@$(KYCUONG) compilemessages --ignore=.venv --ignore=node_modules -v 0

setup: system $(VENV)/.installed node_modules/.installed translations
	@mkdir -p var
	@$(KYCUONG) collectstatic --no-input -v 0

# The demo signs in with a password only; production requires the two-step sign-in for leaders and admins.
demo: export TWO_FACTOR_REQUIRED_ROLES ?=
# Links in the demo's e-mails (printed to the console) point at the port it serves on.
demo: export SITE_URL ?= http://127.0.0.1:$(PORT)
demo: setup
	@$(KYCUONG) migrate --no-input -v 0
	@$(KYCUONG) seed-demo
	@$(KYCUONG) serve --port $(PORT)

test: setup system-tests
	@scripts/run-tests.sh

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) node_modules var staticfiles
