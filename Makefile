# newscrawl: every target creates the virtualenv it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Crawling needs only the package itself; browsing adds Datasette; tests add the dev extra.
CRAWL_STAMP := $(VENV)/.installed-crawl
BROWSE_STAMP := $(VENV)/.installed-browse
DB ?= output/articles.db
DEMO_PORT ?= 8765
PORT ?= 8001
ARGS ?=

.PHONY: venv crawl browse test demo screenshots readme bench bench-incremental bench-extraction bench-crawl bench-distributed clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(CRAWL_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	touch $(CRAWL_STAMP)

$(BROWSE_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[browse]'
	touch $(BROWSE_STAMP) $(CRAWL_STAMP)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP) $(BROWSE_STAMP) $(CRAWL_STAMP)

## venv: everything, for development and the tests
venv: $(STAMP)

## crawl: crawl the default site (Beijing Review, World) into $(DB); installs only what crawling needs
crawl: $(CRAWL_STAMP)
	$(VENV)/bin/newscrawl crawl --db $(DB) $(ARGS)

## browse: read and search $(DB) in Datasette on 127.0.0.1:$(PORT)
browse: $(BROWSE_STAMP)
	$(VENV)/bin/newscrawl browse --db $(DB) --port $(PORT)

## test: the whole test suite (no internet needed)
test: venv
	$(PY) -m pytest -q $(ARGS)

## demo: serve the bundled fixture site on 127.0.0.1:$(DEMO_PORT) and crawl it into output/demo.db
demo: $(CRAWL_STAMP)
	$(PY) -m tests.demo --db output/demo.db --port $(DEMO_PORT)

## screenshots: refresh the README's screenshots in docs/ (headless Chromium)
screenshots: venv
	NEWSCRAWL_SHOTS=docs $(PY) -m pytest -q tests/test_browser.py

## readme: regenerate the README's command synopsis from the CLI's help (cog)
readme: venv
	$(PY) -m cogapp -r README.md

## bench: every benchmark (extraction uses ../shared/eval when present)
bench: venv
	$(PY) bench/extraction.py
	$(PY) bench/language.py
	$(PY) bench/scheduled_runs.py
	$(PY) bench/export.py
	$(PY) bench/readers.py
	$(PY) bench/faults.py

clean:
	rm -rf $(VENV) output/*.db output/*.db-wal output/*.db-shm output/*.db.lock

## bench-incremental: the incremental run against a full one (2,000 stored articles, 20 new)
bench-incremental: venv
	$(PY) bench/scheduled_runs.py

## bench-extraction: extraction quality and speed beside trafilatura (../shared/eval)
bench-extraction: venv
	$(PY) bench/extraction.py --passes 3
	$(PY) bench/language.py

## bench-crawl: the crawl's data path beside its limits (../shared/eval; 1,000 pages, 3 passes)
bench-crawl: venv
	$(PY) bench/crawl.py --pages 1000 --repeat 3

## bench-distributed: crawl rate with 1, 2, 3 workers on one Redis, and the ingest's rows/s
bench-distributed: venv
	$(PY) bench/distributed.py --articles 300 --ingest-rows 3000
