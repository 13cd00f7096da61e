# Two commands: `make lab` (set up, then open JupyterLab) and `make test` (set up, then test everything).
# Set-up runs once per change of requirements.txt/pyproject.toml (a stamp in .venv/ keyed on both).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
KEY := $(shell cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(KEY)
PORT ?= 8888
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: setup data chromium lab test test-fast notebooks checkpoints benchmark clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

# Finds and verifies the data set (downloads it only when no local copy exists).
data: setup
	$(BIN)/python -m d2l_utils data

# The browser tests drive Debian's chromium (Playwright cannot download browsers here).
chromium:
	@test -x /usr/bin/chromium || { SUDO=$$(command -v sudo || true); \
	  $$SUDO apt-get update && $$SUDO apt-get install -y chromium; }

lab: setup data
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
	  --IdentityProvider.token=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(24))') \
	  --ServerApp.root_dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

test: setup data chromium
	$(BIN)/ruff check d2l_utils tests benchmarks notebooks
	$(BIN)/pytest tests notebooks $(NBVAL)

# The unit tests alone (under a minute).
test-fast: setup data
	$(BIN)/pytest tests -m "not browser"

# Re-execute every notebook in place, top to bottom, storing widget state.
notebooks: setup data
	cd notebooks && ../$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.timeout=900 --ExecutePreprocessor.record_timing=False \
	  --ExecutePreprocessor.store_widget_state=True [0-9][0-9]_*.ipynb

# The weights notebooks 06 and 07 load (they train these themselves when a file is missing).
checkpoints: setup data
	$(BIN)/python -m d2l_utils train --model lenet --epochs 10 --seed 0 --save checkpoints/lenet.pt
	$(BIN)/python -m d2l_utils train --model lenet-modern --epochs 10 --seed 0 --save checkpoints/lenet_modern.pt

benchmark: setup data
	$(BIN)/python benchmarks/epoch.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts
