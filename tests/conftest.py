"""Shared test helpers: composing configs the way `python -m zoo.train` does, and local data."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

import zoo.data  # noqa: F401  (registers the ${zoo.data:...} resolver, as zoo.train does)
from zoo.cli import CONFIG_DIR

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

# Small nets and one thread keep every run in the suite at seconds on a 2-core CPU.
torch.set_num_threads(1)
# The suite runs on the CPU, as CI does. ZOO_TEST_CUDA=1 leaves a GPU visible to the tests marked
# `gpu` (benchmarks/device_tables.sh runs them on a lent GPU machine).
if not os.environ.get("ZOO_TEST_CUDA"):
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


def compose_config(overrides: list[str], output_dir: Path) -> DictConfig:
    """The config `python -m zoo.train <overrides>` would run, writing into ``output_dir``."""
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose("train", overrides=[*overrides, f"paths.output_dir={output_dir}"])


# Overrides that make any run a few-second smoke run.
QUICK = ["iterations=6", "eval_every=3", "logger=csv", "trainer.enable_progress_bar=false", "~callbacks.progress_bar", "trainer.log_every_n_steps=2", "threads=1"]


def mnist_root(tmp_path_factory=None) -> Path:
    """A torchvision root holding MNIST and Fashion-MNIST: ../shared/data when it is there, else a
    folder torchvision downloads into; skips (saying why) when neither works."""
    if (SHARED_DATA / "MNIST" / "raw").is_dir():
        return SHARED_DATA
    import torchvision

    root = Path(os.environ.get("ZOO_TEST_DATA", ROOT / "data"))
    try:
        torchvision.datasets.MNIST(root, download=True)
        torchvision.datasets.FashionMNIST(root, download=True)
    except Exception as error:  # offline, or the mirrors are down
        pytest.skip(f"MNIST is not in {SHARED_DATA} and torchvision could not download it ({error})")
    return root


def run_cli(module: str, *args: str, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``python -m <module> args...`` as a user would, capturing its output."""
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )


# --- scoring fixtures, shared by the scoring tests (session-wide: the classifier trains once) -----

SMALL_CLASSIFIER = {"epochs": 2, "n_train": 12_000}  # zoo.metrics.classifier.ClassifierSettings fields


def mnist_cfg(root) -> DictConfig:
    return OmegaConf.create({"_target_": "zoo.data.images.TorchvisionImages", "name": "MNIST", "root": str(root), "download": False, "size": 28})


@pytest.fixture(scope="session")
def zoo_cache(tmp_path_factory):
    """A private ZOO_CACHE for the session (subprocesses inherit it)."""
    path = tmp_path_factory.mktemp("zoo_cache")
    previous = os.environ.get("ZOO_CACHE")
    os.environ["ZOO_CACHE"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("ZOO_CACHE", None)
    else:
        os.environ["ZOO_CACHE"] = previous


@pytest.fixture(scope="session")
def mnist_test():
    """The MNIST test split as (images in [-1, 1], labels)."""
    from zoo.data.images import TorchvisionImages

    datamodule = TorchvisionImages(root=str(mnist_root()), download=False, split="test")
    datamodule.setup()
    return datamodule.data, datamodule.labels


@pytest.fixture(scope="session")
def small_classifier(zoo_cache):
    """Path of an MNIST classifier trained for two epochs on 12,000 images (about 97% accurate)."""
    from zoo.metrics.classifier import ClassifierSettings, get_classifier

    return get_classifier(mnist_cfg(mnist_root()), ClassifierSettings(**SMALL_CLASSIFIER), train=True, log=lambda line: None)
