# gasnet: `make demo` and `make test` work on a fresh clone (they create .venv themselves).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
GASNET := $(VENV)/bin/gasnet
CONFIG ?= gasnet.toml
RUN    := $(GASNET) --config $(CONFIG)

.PHONY: help install demo test sample ingest validate run build criticality hazards isolate burst bench lint clean

help:
	@echo "make demo          install, run the whole pipeline on the bundled sample, say where outputs are"
	@echo "make test          install and run the whole test suite"
	@echo "make run           the whole pipeline (CONFIG=gasnet.toml)"
	@echo "make ingest | validate | build | criticality | hazards    one stage each"
	@echo "make isolate VALVES=FM000001,FM000002            customers cut off by closing valves"
	@echo "make burst PIPE=GX0000001 [FAIL=FM000003]        burst isolation plan"
	@echo "make sample        regenerate the bundled sample in data/raw/ (deterministic)"
	@echo "make bench         benchmarks (installs the optional WNTR peer)"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(RUN) run
	@echo
	@echo "Outputs: $$(pwd)/data/processed/gasnet.gpkg (the one map: open it in QGIS)"
	@echo "Hazards: $$(pwd)/data/processed/risk.csv (ranked: which to fix first, and why)"
	@echo "Maps: written to data/processed/maps/ once the maps stage lands (not in this version)"
	@echo "Try:  make isolate VALVES=FM000283   |   make burst PIPE=GX0000051"

test: install
	$(PY) -m pytest -q

sample: install
	rm -rf data/sample.new
	$(GASNET) sample --out data/sample.new --pipes 4500 --seed 7
	rm -rf data/raw && mv data/sample.new/raw data/raw && rm -rf data/sample.new

run: install
	$(RUN) run

ingest validate build criticality hazards: install
	$(RUN) $@

isolate: install
	@test -n "$(VALVES)" || { echo "usage: make isolate VALVES=ID[,ID...]"; exit 2; }
	$(RUN) isolate --close $(VALVES) --out data/processed/isolate.csv

burst: install
	@test -n "$(PIPE)" || { echo "usage: make burst PIPE=ID [FAIL=ID,...]"; exit 2; }
	$(RUN) burst --pipe $(PIPE) $(if $(FAIL),--fail $(FAIL)) --out data/processed/burst.csv

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run.py

lint: install
	$(VENV)/bin/ruff check src tests bench tools
	$(VENV)/bin/ruff format --check src tests bench tools

clean:
	rm -rf data/processed/gasnet.gpkg data/processed/maps data/processed/*.csv bench/out
