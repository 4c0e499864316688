# gasnet: `make demo` and `make test` work on a fresh clone (they create .venv themselves).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
GASNET := $(VENV)/bin/gasnet
CONFIG ?= gasnet.toml
RUN    := $(GASNET) --config $(CONFIG)

.PHONY: help install browser postgres demo test notebooks sample ingest validate run build criticality hazards maps isolate burst bench screenshots lint clean

help:
	@echo "make demo          install, run the whole pipeline on the bundled sample, say where outputs are"
	@echo "make test          install and run the whole test suite (with the doctests and notebooks)"
	@echo "make notebooks     JupyterLab on notebooks/ (the Python API, step by step)"
	@echo "make run           the whole pipeline (CONFIG=gasnet.toml)"
	@echo "make ingest | validate | build | criticality | hazards | maps    one stage each"
	@echo "make isolate VALVES=FM000001,FM000002            customers cut off by closing valves"
	@echo "make burst PIPE=GX0000001 [FAIL=FM000003]        burst isolation plan"
	@echo "make advise [TOP=20] [OBJECTIVE=exposure]        where one more valve helps most; valves to repair"
	@echo "make sample        regenerate the bundled sample in data/raw/ (deterministic)"
	@echo "make bench         benchmarks (installs the optional WNTR peer)"
	@echo "make screenshots   PNGs of the three kinds of map (docs/screenshots/)"
	@echo "make mutants [MODULE=topology] [SAMPLE=50|all] [SEED=x] [CHEAPEST=16 [RERUN=30]]   mutation testing: kill rate per module"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	$(PY) -c "import gasnet.isolation as i; i.warm_up()"  # numba compiles the engine once, here
	touch $@

install: $(VENV)/.installed

demo: install
	$(RUN) run
	@echo
	@echo "Outputs: $$(pwd)/data/processed/gasnet.gpkg (the one map: open it in QGIS)"
	@echo "Hazards: $$(pwd)/data/processed/risk.csv (ranked: which to fix first, and why)"
	@echo "Maps (open them in a browser, offline): $$(pwd)/data/processed/maps/network.html"
	@echo "                                         $$(pwd)/data/processed/maps/risk.html"
	@echo "Try:  make isolate VALVES=FM000283   |   make burst PIPE=GX0000051 (writes burst.html)"

# The map tests drive Debian's Chromium: installed here when missing (as root, or with sudo).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the map tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null 2>&1 && $$SUDO apt-get install -y -q chromium >/dev/null 2>&1; } || \
	  echo "warning: chromium could not be installed: the map tests will be skipped"; }

# The PostGIS store tests start a throwaway PostgreSQL cluster of their own (tests/pgcluster.py)
# from Debian's packages, installed here when missing; GDAL's ogr2ogr reads it as QGIS would.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && \
	  ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 && \
	  command -v ogr2ogr >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql, postgis and gdal-bin for the store tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); PKGS="postgresql-15-postgis-3 gdal-bin"; \
	  $$SUDO apt-get install -y -q $$PKGS >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null 2>&1 && $$SUDO apt-get install -y -q $$PKGS >/dev/null 2>&1; } || \
	  echo "warning: PostgreSQL could not be installed: the PostGIS store tests will be skipped"; }

test: install browser postgres
	$(PY) -m pytest -q

notebooks: install
	$(PY) -m pip install --quiet -e '.[notebooks]'
	cd notebooks && ../$(VENV)/bin/jupyter lab

sample: install
	rm -rf data/sample.new
	$(GASNET) sample --out data/sample.new --pipes 4500 --seed 7
	rm -rf data/raw && mv data/sample.new/raw data/raw && rm -rf data/sample.new

run: install
	$(RUN) run

ingest validate build criticality hazards maps: install
	$(RUN) $@

isolate: install
	@test -n "$(VALVES)" || { echo "usage: make isolate VALVES=ID[,ID...]"; exit 2; }
	$(RUN) isolate --close $(VALVES) --out data/processed/isolate.csv --map data/processed/isolate.html

burst: install
	@test -n "$(PIPE)" || { echo "usage: make burst PIPE=ID [FAIL=ID,...]"; exit 2; }
	$(RUN) burst --pipe $(PIPE) $(if $(FAIL),--fail $(FAIL)) --out data/processed/burst.csv --map data/processed/burst.html

# Mutation testing of the core modules with mutmut (tools/mutants.py): slow, so neither in
# `make test` nor in CI. SAMPLE mutants of each module (the same ones every pass), or all.
.PHONY: mutants
MODULE ?=
SAMPLE ?= 50
mutants: install
	$(PY) -m pip install --quiet -e '.[mutants]'
	$(PY) tools/mutants.py $(if $(filter all,$(SAMPLE)),,--sample $(SAMPLE)) $(if $(SEED),--seed $(SEED)) $(if $(CHEAPEST),--cheapest $(CHEAPEST)) $(if $(RERUN),--rerun $(RERUN)) $(MODULE)

# (its own .PHONY line: merges without touching the list above)
.PHONY: advise
advise: install
	$(RUN) advise-valves $(if $(TOP),--top $(TOP)) $(if $(OBJECTIVE),--objective $(OBJECTIVE))

# Screenshots need a CJK font for the Chinese labels (Debian's fonts-noto-cjk).
screenshots: install browser
	@fc-list 2>/dev/null | grep -qi "noto sans cjk" || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q fonts-noto-cjk >/dev/null 2>&1 || \
	  echo "warning: fonts-noto-cjk could not be installed: Chinese labels show as boxes"; }
	$(PY) tools/screenshots.py docs/screenshots

bench: install postgres
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run.py

lint: install
	$(VENV)/bin/ruff check src tests bench tools notebooks conftest.py
	$(VENV)/bin/ruff format --check src tests bench tools notebooks conftest.py

clean:
	rm -rf data/processed/gasnet.gpkg data/processed/maps data/processed/*.csv bench/out
