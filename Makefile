# The two set-up commands of the README: `make demo` and `make test`.
# Both create .venv on first use and reuse it afterwards (reinstalling only when pyproject.toml changes).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.adledger-installed
PYTEST_ARGS ?=

.PHONY: demo test install system-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	bash scripts/fetch-plotly-basic.sh $(BIN)/python
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/adledger demo

system-deps:
	bash scripts/system-deps.sh

test: $(STAMP) system-deps
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest -n 2 --dist loadscope --durations=25 $(PYTEST_ARGS)

clean:
	rm -rf data dbt_project/target dbt_project/logs test-artifacts
