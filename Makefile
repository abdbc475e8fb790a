# make only bootstraps the virtualenv; everything else is an invoke task (tasks.py).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# make serve PORT=8001 INTAKE_PORT=8082 REVIEW_PORT=8083 when the defaults are taken.
PORT ?= 8000
INTAKE_PORT ?= 8080
REVIEW_PORT ?= 8081
# Debian packages the tests drive: a real browser, rsync and git for the deploy tests.
TEST_PACKAGES := chromium rsync git

.PHONY: serve test test-setup build publish lint clean

$(STAMP): pyproject.toml
	@echo "==> Setting up $(VENV) (the first time takes a minute or two)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> Upgrading pip"
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "==> Installing the project and its dependencies (one line per package)"
	$(BIN)/python -m pip install --progress-bar on -e ".[dev]"
	touch $(STAMP)
	@echo "==> $(VENV) is ready"

serve: $(STAMP)
	$(BIN)/invoke demo --port $(PORT) --intake-port $(INTAKE_PORT) --review-port $(REVIEW_PORT)

# Set-up for the tests, kept apart from them: pytest itself never installs anything.
test-setup:
	@missing=""; \
	for package in $(TEST_PACKAGES); do \
		case $$package in \
			chromium) test -x /usr/bin/chromium || missing="$$missing $$package" ;; \
			*) command -v $$package >/dev/null 2>&1 || missing="$$missing $$package" ;; \
		esac; \
	done; \
	if [ -z "$$missing" ]; then \
		echo "==> Test prerequisites present: $(TEST_PACKAGES)"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "==> Installing test prerequisites with apt-get:$$missing"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y$$missing; \
	else \
		echo "==> Missing test prerequisites:$$missing; not root, so not installing them."; \
		echo "    Run: sudo apt-get install -y$$missing (their tests are skipped until then)"; \
	fi

test: $(STAMP) test-setup
	$(BIN)/invoke test

build: $(STAMP)
	$(BIN)/invoke build

publish: $(STAMP)
	$(BIN)/invoke publish

lint: $(STAMP)
	$(BIN)/invoke lint

# Removes what builds, publishes and the demo made: output/, the caches (cache/, and
# var/publish/ with the last build), the publish lock and the demo's database with its
# side files. Your own data stays: content/comments/ and var/moderation.db*.
clean:
	rm -rf output cache var/publish var/publish.lock content/demo-comments
	rm -f var/demo.db var/demo.db-* var/demo.db.*
