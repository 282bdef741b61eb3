# One entry point. `make figures` and `make test` set everything up on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
TITLE := five news articles on Russia and its allies

.PHONY: install results figures test lab bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Regenerate every result CSV (results/) from seeds/.
results: $(STAMP)
	$(BIN)/framing score seeds --out results

## The main job: the seeds study, `framing study` with the repository root as the study folder
## (it carries study.json): results/, notebooks/ (executed, with outputs) and figures/ are
## rebuilt in a staging folder and swapped in only when everything succeeded.
figures: $(STAMP)
	$(BIN)/framing study seeds --target RUS --out . --title "$(TITLE)"

## The whole test suite, nbval regression of the notebooks included.
test: $(STAMP)
	$(BIN)/python -m pytest

## JupyterLab on the project (with --allow-root when run as root, as in many containers).
## FRAMING_INTERACTIVE=1: sortable, searchable tables (itables) and the evidence viewer's dropdowns.
lab: $(STAMP)
	FRAMING_INTERACTIVE=1 $(BIN)/jupyter lab notebooks/ $$(test "$$(id -u)" = 0 && echo --allow-root)

## Throughput and memory against the obvious pipeline (by hand; not part of `make test`).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/bench.py --articles 10000 --jobs 2

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
