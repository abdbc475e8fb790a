# make only bootstraps the virtualenv; everything else is an invoke task (tasks.py).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test build publish lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/invoke demo

test: $(STAMP)
	$(BIN)/invoke test

build: $(STAMP)
	$(BIN)/invoke build

publish: $(STAMP)
	$(BIN)/invoke publish

lint: $(STAMP)
	$(BIN)/invoke lint

clean:
	rm -rf output cache var/demo.db
