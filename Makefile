# Two commands for a newcomer: `make run` (the product with demo data) and `make test` (the whole suite).
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
INSTALLED := $(VENV)/.installed

.PHONY: run test install lint bench check-diagrams clean

$(INSTALLED): pyproject.toml
	@echo "==> Creating the virtualenv and installing Councillor Support"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(INSTALLED)

run: install
	$(BIN)/councillor-support init-db
	$(BIN)/councillor-support demo
	$(BIN)/councillor-support serve --host 127.0.0.1 --port 5000

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

check-diagrams: install
	$(BIN)/councillor-support check-diagrams

bench: install
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) node_modules web/static/vendor instance
