# Two commands for a newcomer: `make run` (the product with demo data) and `make test` (the whole suite).
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
INSTALLED := $(VENV)/.installed

.PHONY: run test install assets browser lint bench check-diagrams translations clean

$(INSTALLED): pyproject.toml
	@echo "==> Creating the virtualenv and installing Councillor Support"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(INSTALLED)

# GOV.UK Frontend's built CSS, JS, fonts and images, served by the app itself (no CDN).
VENDOR := web/static/vendor
ASSETS := $(VENDOR)/.copied

$(ASSETS): package.json package-lock.json
	@echo "==> Fetching GOV.UK Frontend and bpmn-js"
	npm ci --no-audit --no-fund
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(VENDOR)/
	cp -R node_modules/govuk-frontend/dist/govuk/assets $(VENDOR)/assets
	mkdir -p $(VENDOR)/bpmn-js && cp -R node_modules/bpmn-js/dist/assets node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js $(VENDOR)/bpmn-js/
	@touch $@

# The diagram editor's modeler, properties panel and their styles, bundled from node_modules (no network).
# Rebuilt when its sources change; the rule above empties $(VENDOR), so it is rebuilt after that too.
EDITOR_SOURCES := $(wildcard web/static/diagrams/src/*.mjs) web/static/diagrams/spiffworkflow.json
EDITOR_BUNDLE := $(VENDOR)/diagram-editor/modeler.js

$(EDITOR_BUNDLE): $(ASSETS) $(EDITOR_SOURCES)
	@echo "==> Bundling the diagram editor"
	rm -rf $(VENDOR)/diagram-editor
	node_modules/.bin/esbuild web/static/diagrams/src/modeler.mjs --bundle --format=esm --minify --target=es2020 \
		--loader:.eot=file --loader:.svg=file --loader:.ttf=file --loader:.woff=file --loader:.woff2=file \
		--asset-names=[name]-[hash] --log-level=warning --outdir=$(VENDOR)/diagram-editor

assets: $(ASSETS) $(EDITOR_BUNDLE)

# The browser tests drive Debian's chromium; install it when it is missing (with sudo when not root).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@test -x /usr/bin/chromium || ! command -v apt-get >/dev/null || \
		(echo "==> Installing Debian's chromium for the browser tests" && \
		 $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium)

run: install assets
	$(BIN)/councillor-support init-db
	$(BIN)/councillor-support demo
	DEMO_MODE=true $(BIN)/councillor-support serve --host 127.0.0.1 --port 5000

test: install assets browser
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

check-diagrams: install
	$(BIN)/councillor-support check-diagrams

bench: install
	$(BIN)/python -m bench.run

# Refresh the translation catalogue (web/translations) after changing any user-facing text.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext --project 'Councillor Support' \
		--copyright-holder 'Councillor Support contributors' -o web/translations/messages.pot web
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations

clean:
	rm -rf $(VENV) node_modules web/static/vendor instance
