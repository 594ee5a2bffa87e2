# newscrawl: every target creates the virtualenv it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DB ?= output/articles.db
ARGS ?=

.PHONY: venv crawl test demo bench bench-incremental bench-extraction clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## crawl: crawl the default site (Beijing Review, World) into $(DB)
crawl: venv
	$(VENV)/bin/newscrawl crawl --db $(DB) $(ARGS)

## test: the whole test suite (no internet needed)
test: venv
	$(PY) -m pytest -q $(ARGS)

## demo: serve the bundled fixture site on 127.0.0.1 and crawl it into output/demo.db
demo: venv
	$(PY) -m tests.demo --db output/demo.db

## bench: every benchmark (extraction uses ../shared/eval when present)
bench: venv
	$(PY) bench/extraction.py
	$(PY) bench/language.py
	$(PY) bench/scheduled_runs.py
	$(PY) bench/export.py
	$(PY) bench/readers.py
	$(PY) bench/faults.py

clean:
	rm -rf $(VENV) output/*.db output/*.db-wal output/*.db-shm

## bench-incremental: the incremental run against a full one (2,000 stored articles, 20 new)
bench-incremental: venv
	$(PY) bench/scheduled_runs.py

## bench-extraction: extraction quality and speed beside trafilatura (../shared/eval)
bench-extraction: venv
	$(PY) bench/extraction.py --passes 3
	$(PY) bench/language.py
