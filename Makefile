# Two commands for a newcomer:
#   make run   - install (into .venv) and start the app on the embedded Norfolk default
#   make test  - install everything (pip packages, Debian's chromium) and run every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint bench install install-dev browser system clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install system
	$(BIN)/streamlit run app.py --server.port $(PORT)

APT_INSTALL = if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $(1) >/dev/null; \
  else sudo apt-get update -qq && sudo apt-get install -y -qq $(1) >/dev/null; fi

# Debian's Pango and fonts, which WeasyPrint uses to write the board pack's PDF.
system:
	@dpkg -s libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null 2>&1 || { \
	  $(call APT_INSTALL,libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core); }

# Debian's Chromium for the browser tests (never `playwright install`).
browser:
	@command -v chromium >/dev/null 2>&1 || { $(call APT_INSTALL,chromium); }

lint: install-dev
	$(BIN)/ruff check .

test: install-dev system browser lint
	$(BIN)/python -m pytest -q --durations=20

bench: install-dev
	$(BIN)/python bench/bench_metrics.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
