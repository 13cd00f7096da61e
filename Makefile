# Two commands: `make lab` (set up, then open JupyterLab) and `make test` (set up, then test everything).
# Set-up runs once per change of requirements.txt/pyproject.toml (a stamp in .venv/ keyed on both).
# pip's --no-compile skips byte-compiling all of site-packages (about a minute, most of it modules
# never imported here); Python compiles each module the first time it is imported instead.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
KEY := $(shell cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(KEY)
PORT ?= 8888
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# Another machine, simulated: ATen's plain (unvectorised) kernels, oneDNN limited to AVX (below the
# AVX2 or AVX-512 of today's x86 machines; ignored on ARM), one thread instead of one per core.
PORTABLE := ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=AVX OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

.PHONY: setup data chromium lab test test-fast test-browser test-portable notebooks checkpoints benchmark memory site clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install --no-compile -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

# Finds and verifies the data set. Without a local copy it installs Debian's dataset-fashion-mnist
# where apt-get exists (through sudo when not root), as `make chromium` does; elsewhere torchvision
# downloads the files, or a one-paragraph error says how to get them.
data: setup
	@$(BIN)/python -m d2l_utils data --no-download 2>/dev/null || ! command -v apt-get >/dev/null || { \
	  echo "Fashion-MNIST not found: installing Debian's dataset-fashion-mnist"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || command -v sudo || true); \
	  $$SUDO apt-get update && $$SUDO apt-get install -y dataset-fashion-mnist; }
	$(BIN)/python -m d2l_utils data

# The browser tests drive Debian's chromium (Playwright cannot download browsers here).
chromium:
	@test -x /usr/bin/chromium || { SUDO=$$(command -v sudo || true); \
	  $$SUDO apt-get update && $$SUDO apt-get install -y chromium; }

lab: setup data
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
	  --IdentityProvider.token=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(24))') \
	  --ServerApp.root_dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: test-all test-nbval test-browser-rest axe

# The tests, in two tiers. `make test` executes every notebook once (nbval) and drives the browser only
# where a browser is needed; `make test-all` (what CI runs) adds every notebook on another machine's
# settings and every notebook in the browser.
#
# `make test`: lint; the unit tests (fast and slow, the web book's build and checks included) in two
# processes of one thread each (pytest-xdist; most of them are single-threaded Python, which would leave
# a core idle); then, side by side, nbval over every notebook at the default settings and the browser
# tier (the notebooks with explorers in JupyterLab, presentation mode, one page of the web book and
# axe-core over all of its pages). Each of the two prints its log when it ends.
test: setup data chromium axe
	$(BIN)/ruff check d2l_utils tests benchmarks notebooks site
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/pytest tests -m "not browser" -n 2 --dist loadfile \
	  --durations=12
	$(MAKE) --no-print-directory -j2 --output-sync=target test-nbval test-browser

# `make test`, then, side by side with one thread each (so neither waits for a core the other holds),
# every notebook under nbval as another machine runs it, and the notebooks the browser tier left out.
test-all: test
	$(MAKE) --no-print-directory -j2 --output-sync=target test-portable test-browser-rest

# Every notebook under nbval, at the default settings (see tests/nbval_sanitize.cfg).
test-nbval: setup data
	$(BIN)/pytest notebooks $(NBVAL) -p no:cacheprovider --durations=8

# What needs a browser (Debian's chromium; skipped, saying so, where there is none): the notebooks with
# explorers run in JupyterLab and played with, presentation mode, the web book in Chromium and axe-core.
test-browser: setup data chromium axe
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/pytest tests -m "browser and not full" -p no:cacheprovider \
	  -rs --durations=12

# The other notebooks in JupyterLab (`make test-all`).
test-browser-rest: setup data chromium
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/pytest tests -m "browser and full" -p no:cacheprovider \
	  -rs --durations=12

# The stored outputs must also hold on another CPU and thread count (see tests/nbval_sanitize.cfg).
test-portable: setup data
	$(PORTABLE) $(BIN)/pytest notebooks $(NBVAL) -p no:cacheprovider

# The tests that take seconds (under a minute in all): no notebooks, browsers or subprocess training.
test-fast: setup data
	$(BIN)/pytest tests -m "not slow and not browser"

# axe-core (the accessibility checker the browser tier runs over the web book), from npm into .cache/node
# (git-ignored). Without npm the axe test is skipped, saying so.
AXE_VERSION := 4.14.1
AXE := .cache/node/node_modules/axe-core/axe.min.js

axe: $(AXE)

$(AXE):
	@command -v npm >/dev/null || { echo "npm not found: the axe-core test will be skipped (install npm)"; exit 0; }; \
	  npm install --prefix .cache/node --no-save --no-audit --no-fund axe-core@$(AXE_VERSION)

# Re-execute every notebook in place, top to bottom, storing widget state.
notebooks: setup data
	cd notebooks && ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=900 --ExecutePreprocessor.record_timing=False \
	  --ExecutePreprocessor.store_widget_state=True [0-9][0-9]_*.ipynb

# The weights notebooks 06 and 07 load (they train these themselves when a file is missing).
checkpoints: setup data
	$(BIN)/python -m d2l_utils train --model lenet --epochs 10 --seed 0 --save checkpoints/lenet.pt
	$(BIN)/python -m d2l_utils train --model lenet-modern --epochs 8 --seed 0 --save checkpoints/lenet_modern.pt

benchmark: setup data
	$(BIN)/python benchmarks/epoch.py

# Peak memory (RSS) and seconds of each notebook's kernel, run top to bottom on a copy.
memory: setup data
	$(BIN)/python benchmarks/memory.py

# The offline web book of README.md and the notebooks, from their stored outputs: _build/site/html.
site: setup
	$(BIN)/python site/build.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts
