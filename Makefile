# Two commands: `make lab` (set up, then open JupyterLab) and `make test` (set up, then test everything).
# Set-up installs the exact versions of the lock files into .venv/, once per change of the lock or
# pyproject.toml (a stamp in .venv/ keyed on both and on TORCH): `make lab` the runtime
# (requirements.lock), every other target also the test, lint and docs tools (requirements-dev.lock).
# `make lock` rebuilds both locks (and binder/requirements.txt) from requirements*.txt.
# TORCH=cpu takes torch and torchvision from PyTorch's CPU wheel index instead of PyPI's CUDA build
# (Linux): about 3 GB less on disk and 0.3 GB less per kernel. pip's --no-compile skips
# byte-compiling all of site-packages (about a minute, most of it modules never imported here);
# Python compiles each module the first time it is imported instead.
# Neither asks for a password: only `make system-deps` runs apt-get (as root, or through sudo), and
# nothing else calls it. Plain POSIX sh and GNU make 3.81 (macOS's) features only in these targets.

# The first Python 3.11 or newer of these that runs (a pyenv shim may name one that is not installed),
# looked for once per make (`:=`; exported, so the recursive makes below reuse it), unless named:
# make lab PYTHON=/path/to/python3.12 (or PYTHON in the environment).
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in python3.11 python3.12 python3.13 python3.14 python3; do \
  $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && command -v $$p && break; done)
export PYTHON
endif
VENV := .venv
BIN := $(VENV)/bin
TORCH ?= default
CPU_INDEX := https://download.pytorch.org/whl/cpu
# Packages only PyTorch's CUDA build brings (Linux); the CPU wheels need none of them.
CUDA_ONLY := ^(nvidia-|cuda-|triton==)
HASH = $(shell $(PYTHON) -c 'import hashlib, sys; print(hashlib.sha256(b"".join(open(f, "rb").read() for f in sys.argv[1:])).hexdigest()[:16])' $(1) 2>/dev/null)
STAMP := $(VENV)/.installed-dev-$(TORCH)-$(call HASH,requirements-dev.lock pyproject.toml)
RUNTIME_STAMP := $(VENV)/.installed-runtime-$(TORCH)-$(call HASH,requirements.lock pyproject.toml)
PORT ?= 8888
# GNU make 4's --output-sync (each parallel target's log in one piece); make 3.81 (macOS) lacks it.
OUTPUT_SYNC := $(if $(filter 3.%,$(MAKE_VERSION)),,--output-sync=target)
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
# Another machine, simulated: ATen's plain (unvectorised) kernels, oneDNN limited to AVX (below the
# AVX2 or AVX-512 of today's x86 machines; ignored on ARM), one thread instead of one per core.
PORTABLE := ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=AVX OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

ifneq ($(filter-out default cpu,$(TORCH)),)
$(error TORCH=$(TORCH) is not a choice: leave it out (PyPI's torch, the CUDA build on Linux) or say TORCH=cpu)
endif

.PHONY: setup setup-runtime python system-deps data chromium lab lock test test-fast test-browser test-portable notebooks checkpoints benchmark memory site clean

# Python 3.11 or newer, before anything is installed.
python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "This collection needs Python 3.11 or newer; found $(or $(PYTHON),none on PATH)$$($(or $(PYTHON),python3) -V 2>/dev/null | sed 's/^/, /'). Install one (Ubuntu: sudo apt-get install python3.11 python3.11-venv; macOS: brew install python@3.12, or python.org) and name it if make does not find it: make lab PYTHON=/path/to/python3.12" >&2; \
	  exit 1; }

# Install a lock file ($(1)) into .venv/, with the torch build TORCH names. A venv made for the other
# TORCH is made anew: pip keeps an installed torch 2.x.y+cpu for a requirement torch==2.x.y.
define INSTALL
	@if [ -f $(VENV)/.torch ] && [ "$$(cat $(VENV)/.torch)" != $(TORCH) ]; then \
	  echo "$(VENV) holds the TORCH=$$(cat $(VENV)/.torch) build: making it anew for TORCH=$(TORCH)"; rm -rf $(VENV); fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	echo $(TORCH) > $(VENV)/.torch
	$(if $(filter cpu,$(TORCH)),grep -vE '$(CUDA_ONLY)' $(1) > $(VENV)/cpu.lock)
	$(BIN)/python -m pip install --no-compile --no-deps $(if $(filter cpu,$(TORCH)),--extra-index-url $(CPU_INDEX) -r $(VENV)/cpu.lock,-r $(1))
	$(BIN)/python -m pip install --no-deps -e .
	$(BIN)/python -m pip check
endef

setup: $(STAMP)

$(STAMP): requirements-dev.lock pyproject.toml | python
	$(call INSTALL,requirements-dev.lock)
	rm -f $(VENV)/.installed-*
	touch $@

# The runtime alone (make lab), unless everything is installed already.
setup-runtime: $(RUNTIME_STAMP)

$(RUNTIME_STAMP): requirements.lock pyproject.toml | python
	@if [ -f $(STAMP) ]; then touch $@; exit 0; fi; $(MAKE) --no-print-directory _runtime
	touch $@

.PHONY: _runtime
_runtime:
	$(call INSTALL,requirements.lock)

# Rebuild requirements.lock and requirements-dev.lock with uv (in the dev lock): every platform,
# Python 3.11 and newer, keeping the versions locked before (UPGRADE=1: the newest allowed), within
# the constraints pip is configured with here (a machine's cap on torch); then binder/requirements.txt,
# the runtime lock with PyTorch's CPU wheels.
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --annotation-style line \
  --custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade) \
  $(foreach c,$(shell $(BIN)/python -m pip config list 2>/dev/null | sed -n "s/^global\.constraint='\(.*\)'/\1/p"),--constraint $(c))
lock: setup
	$(UV_COMPILE) requirements-dev.txt -o requirements-dev.lock
	$(UV_COMPILE) --constraint requirements-dev.lock requirements.txt -o requirements.lock
	{ echo "# Binder's runtime: requirements.lock (made by make lock) with PyTorch's CPU wheels, whose"; \
	  echo "# +cpu builds win over PyPI's of the same version; none of the CUDA build's packages."; \
	  echo "--extra-index-url $(CPU_INDEX)"; \
	  grep -v '^#' requirements.lock | grep -vE '$(CUDA_ONLY)'; } > binder/requirements.txt

# The two system packages the collection can use, both optional: Debian's dataset-fashion-mnist (the
# data offline) and chromium (the browser tests). Only this target runs apt-get: as root, or through
# sudo (which may ask for a password: a person runs this, once). A package the system's lists lack
# (Ubuntu ships its Chromium as a snap) is named and left out. Without them `make data` downloads the
# data and the browser tier is skipped, saying so.
SYSTEM_PACKAGES := dataset-fashion-mnist chromium
system-deps:
	@command -v apt-get >/dev/null || { echo "make system-deps installs $(SYSTEM_PACKAGES) with apt-get (Debian, Ubuntu), which this machine lacks; make lab and make test work without them (torchvision downloads the data, the browser tier is skipped)" >&2; exit 1; }; \
	  if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; else \
	  echo "make system-deps runs apt-get install $(SYSTEM_PACKAGES), which needs root or sudo (neither is available here); make lab and make test work without them" >&2; exit 1; fi; \
	  $$sudo apt-get update && found= && for p in $(SYSTEM_PACKAGES); do \
	    if apt-cache show $$p >/dev/null 2>&1; then found="$$found $$p"; else echo "$$p: not in this system's package lists, left out"; fi; done && \
	  { [ -z "$$found" ] || $$sudo apt-get install -y $$found; }

# Finds and verifies the data set: a local copy (Debian's, after make system-deps), else torchvision
# downloads the files into ~/.cache/d2l_utils; offline, one paragraph says the three ways to get them.
data: setup-runtime
	$(BIN)/python -m d2l_utils data

# The browser tests' Chromium: CHROMIUM if set, Debian's /usr/bin/chromium (make system-deps), or one
# that Playwright installed (`.venv/bin/playwright install chromium`). Without any, one line says the
# browser tier is skipped and how to enable it.
PLAYWRIGHT_CHROMIUM := import os, sys; from playwright.sync_api import sync_playwright; \
  p = sync_playwright().start(); path = p.chromium.executable_path; p.stop(); \
  print(path) if os.path.exists(path) else sys.exit(1)
DEBIAN_CHROMIUM := /usr/bin/chromium
FIND_CHROMIUM = { [ -n "$$CHROMIUM" ] && [ -x "$$CHROMIUM" ] && echo "$$CHROMIUM"; } || \
  { [ -x $(DEBIAN_CHROMIUM) ] && echo $(DEBIAN_CHROMIUM); } || $(BIN)/python -c '$(PLAYWRIGHT_CHROMIUM)' 2>/dev/null
NO_CHROMIUM := Browser tier skipped: no Chromium here (CHROMIUM unset, no /usr/bin/chromium, none from \
  Playwright); enable it with make system-deps (Debian), .venv/bin/playwright install chromium (needs the \
  network) or CHROMIUM=/path/to/chromium.
chromium: setup
	@found=$$($(FIND_CHROMIUM)) && echo "Chromium for the browser tests: $$found" || \
	  echo "$(NO_CHROMIUM)"

# JupyterLab on notebooks/, on this machine only (127.0.0.1), with a fresh random token that this
# prints in full (Jupyter masks a token it did not make itself). On another machine, forward the
# port first: ssh -L 8888:127.0.0.1:8888 you@server, then open the printed URL on your own.
lab: setup-runtime data
	@token=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(24))'); \
	  echo; echo "    JupyterLab: open http://127.0.0.1:$(PORT)/lab?token=$$token"; \
	  echo "    (the log below writes the token as ...; Ctrl-C twice stops it; port taken? make lab PORT=8890)"; echo; \
	  JUPYTER_TOKEN=$$token exec $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
	  --ServerApp.port_retries=0 --ServerApp.root_dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

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
	$(BIN)/ruff check .
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/pytest tests -m "not browser" -n 2 --dist loadfile \
	  --durations=12
	$(MAKE) --no-print-directory -j2 $(OUTPUT_SYNC) test-nbval test-browser

# `make test`, then, side by side with one thread each (so neither waits for a core the other holds),
# every notebook under nbval as another machine runs it, and the notebooks the browser tier left out
# (with the handouts' tests) followed by the students' copy's notebooks (test-student).
test-all: test
	$(MAKE) --no-print-directory -j2 $(OUTPUT_SYNC) test-portable test-browser-rest test-student

# Every notebook under nbval, on one thread: `make test` runs it beside the browser tier, and passes that
# each start a thread per core fight over the cores (OpenMP threads wait for each other): on 2 cores the
# two side by side took 254 s at the default threads, 194 s so. (Two notebooks at a time, pytest-xdist,
# saved 13 s more, but two kernels starting at once could die: "Kernel died before replying to
# kernel_info".) The stored outputs, made at the default thread count, must compare equal at any.
test-nbval: setup data
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/pytest notebooks $(NBVAL) -p no:cacheprovider --durations=8

# What needs a browser (Debian's chromium; skipped, saying so, where there is none): the notebooks with
# explorers run in JupyterLab and played with, presentation mode, the web book in Chromium and axe-core.
test-browser: setup data chromium axe
	@chromium=$$($(FIND_CHROMIUM)) || { echo "$(NO_CHROMIUM)"; exit 0; }; \
	  CHROMIUM=$$chromium OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/pytest tests -m "browser and not full" -p no:cacheprovider \
	  -rs --durations=12

# The other notebooks in JupyterLab (`make test-all`).
test-browser-rest: setup data chromium
	@chromium=$$($(FIND_CHROMIUM)) || { echo "$(NO_CHROMIUM)"; exit 0; }; \
	  CHROMIUM=$$chromium OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/pytest tests -m "browser and full" -p no:cacheprovider \
	  -rs --durations=12

# The stored outputs must also hold on another CPU and thread count (see tests/nbval_sanitize.cfg).
test-portable: setup data
	$(PORTABLE) $(BIN)/pytest notebooks $(NBVAL) -p no:cacheprovider

# The tests that take seconds (under a minute in all): no notebooks, browsers or subprocess training.
test-fast: setup data
	$(BIN)/pytest tests -m "not slow and not browser"

# axe-core (the accessibility checker the browser tier runs over the web book), from npm into .cache/node
# (git-ignored). Without npm, or where npm cannot install it, the axe test is skipped, saying so. A failed
# install (offline, a proxy's certificate) is remembered in AXE_FAILED, so later runs do not wait on npm
# again; deleting that file (or make clean) lets the next run try again.
AXE_VERSION := 4.14.1
AXE := .cache/node/node_modules/axe-core/axe.min.js
AXE_FAILED := .cache/axe-core-install-failed

axe: $(AXE)

$(AXE):
	@command -v npm >/dev/null || { echo "npm not found: the axe-core test will be skipped (install npm)"; exit 0; }; \
	  [ ! -f $(AXE_FAILED) ] || { echo "axe-core: npm could not install it on $$(cat $(AXE_FAILED)), so the axe-core test will be skipped; to try again: rm $(AXE_FAILED)"; exit 0; }; \
	  npm install --prefix .cache/node --no-save --no-audit --no-fund axe-core@$(AXE_VERSION) || { \
	  mkdir -p .cache && date > $(AXE_FAILED); \
	  echo "axe-core could not be installed from npm (see npm's error above): the axe-core test will be skipped, and later runs will not try again until you rm $(AXE_FAILED)"; }

# Re-execute every notebook in place, top to bottom, storing widget state.
notebooks: setup data
	cd notebooks && ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=900 --ExecutePreprocessor.record_timing=False \
	  --ExecutePreprocessor.store_widget_state=True [0-9][0-9]_*.ipynb

# The weights notebooks 06 and 07 load (they train these themselves when a file is missing): every
# recipe of d2l_utils/recipes.py (CHECKPOINTS names them all; tests/test_makefile.py checks it), each for
# the epochs it names, from each of SEEDS: checkpoints/NAME.pt for seed 0 (NAME the model's name, - as _),
# checkpoints/NAME_seedS.pt for the others (d2l_utils.recipe_runs reads them). Then notebook 06's
# ablation for the same seeds, as a table: checkpoints/ablation.json (d2l_utils.ablation_or_train).
CHECKPOINTS := lenet lenet-modern lenet-convs
SEEDS := 0 1 2
checkpoints: setup data
	for m in $(CHECKPOINTS); do for s in $(SEEDS); do \
	  f=$$(echo $$m | tr - _); [ $$s = 0 ] || f=$${f}_seed$$s; \
	  $(BIN)/python -m d2l_utils train --model $$m --seed $$s --save checkpoints/$$f.pt || exit 1; done; done
	$(BIN)/python -m d2l_utils ablation --seeds $(SEEDS) --save checkpoints/ablation.json

benchmark: setup data
	$(BIN)/python benchmarks/epoch.py

# Peak memory (RSS) and seconds of each notebook's kernel, run top to bottom on a copy.
memory: setup data
	$(BIN)/python benchmarks/memory.py

# The offline web book of README.md and the notebooks, from their stored outputs: _build/site/html.
site: setup
	$(BIN)/python site/build.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts _build $(AXE_FAILED)

.PHONY: student links handouts test-student

# For a class (notebooks/TEACHING.md): the students' copy, the links that hand it out, printed handouts.
# _build/student/: the notebooks without solution cells or the stored outputs of exercise cells, with the
# helpers, the exercise data, binder/, the checkpoints and what make lab needs, as one git commit on
# branch student (push it: git -C _build/student push <your repository> HEAD:student).
student: setup
	$(BIN)/python site/student.py

# The nbgitpuller link that opens branch student at notebook 01 on a JupyterHub, and the Binder link:
# make links HUB=https://hub.example.edu (REPO=https://... where the branch was pushed to a fork).
links: python
	@$(PYTHON) site/links.py --hub "$(HUB)" $(if $(REPO),--repo "$(REPO)")

# _build/handouts/NN_name.pdf, one per notebook of the students' copy, printed by the browser tests'
# Chromium; without one, one line says the handouts are skipped.
handouts: student chromium
	@chromium=$$($(FIND_CHROMIUM)) || { echo "Handouts skipped: no Chromium here (see make chromium)."; \
	  exit 0; }; CHROMIUM=$$chromium $(BIN)/python site/handouts.py

# Every notebook of a fresh students' copy under nbval in lax mode, each exercise check answering
# "Write your answer first" and each quiz as stored (tests/test_student.py; make test-all).
test-student: setup data
	D2L_TEST_STUDENT=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/pytest tests/test_student.py \
	  -p no:cacheprovider -rs --durations=4
