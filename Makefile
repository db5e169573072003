# Two entry points on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# torch is pinned to the CPU wheel; the MovieLens-100k files come from recbole's wheel,
# installed without its dependencies (they would replace torch and downgrade numpy).
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,docs,tensorboard,ray]'
	$(BIN)/pip install --quiet --no-deps recbole==1.2.1
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ifr-sim demo

# The dashboard's browser test drives Debian's Chromium with Playwright (never a downloaded browser).
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium

test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/mypy ifr_sim envs agents dashboards scripts
	scripts/lint_layers.sh
	$(BIN)/mkdocs build --strict --site-dir site
	$(BIN)/python -m pytest -q --durations=15

clean:
	rm -rf $(VENV) build *.egg-info
