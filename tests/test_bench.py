"""What `make bench` relies on, checked fast: a warm evaluation reads no real image (the
reference's cache key comes from the data set's config, not the training seed), and the
benchmark's hand-written loops train the presets' own networks."""

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision.io import write_png

from tests.conftest import ROOT, compose_config
from zoo.data.images import TorchvisionImages
from zoo.factory import build
from zoo.jobs.eval import evaluate
from zoo.metrics.classifier import DigitClassifier

sys.path.insert(0, str(ROOT / "benchmarks"))
import bench  # noqa: E402  (benchmarks/bench.py, a script)


def write_idx(path: Path, array: np.ndarray) -> None:
    """An MNIST idx file (the raw format torchvision reads): magic, dimensions, uint8 data."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def tiny_mnist(tmp_path) -> Path:
    """A torchvision root holding a 300-digit MNIST (random pixels) in MNIST/raw."""
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 300), ("t10k", 300)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n))
    return tmp_path / "data"


@pytest.fixture
def random_classifier(tmp_path) -> Path:
    """A classifier file with untrained weights: a backbone is all a cache test needs."""
    torch.manual_seed(0)
    model = DigitClassifier()
    path = tmp_path / "classifier.pt"
    torch.save({"config": model.config, "state_dict": model.state_dict()}, path)
    return path


def eval_cfg(overrides: list[str]):
    from hydra import compose, initialize_config_dir

    from zoo.cli import CONFIG_DIR

    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose("eval", overrides=overrides)


def test_a_warm_evaluation_reads_no_real_image(tiny_mnist, random_classifier, tmp_path, monkeypatch):
    """zoo.eval twice on the same fakes: the second finds the real statistics in the cache and
    scores with the data root unreadable and the data module's loader raising if called. As root
    (as the tests may run), chmod 000 blocks nothing, so there the root is renamed away instead."""
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    for i, image in enumerate(torch.randint(0, 256, (200, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))):
        write_png(image, str(fakes / f"{i:03d}.png"))
    cfg = eval_cfg([f"fake_dir={fakes}", "dataset=mnist", f"dataset.root={tiny_mnist}", "dataset.download=false",
                    "scoring.backbone=classifier", f"scoring.classifier_path={random_classifier}", f"scoring.cache_dir={tmp_path / 'cache'}",
                    "scoring.n_samples=200", "scoring.n_real=200", "metrics=[fid]", "verbose=false",
                    f"out={tmp_path / 'eval.json'}", "overwrite=true"])  # fmt: skip
    cold = evaluate(cfg, dataset_chosen=True)

    def no_reading(self):
        raise AssertionError("a warm evaluation read the real images")

    monkeypatch.setattr(TorchvisionImages, "load", no_reading)
    as_root = os.geteuid() == 0
    if as_root:
        tiny_mnist.rename(tmp_path / "gone")
    else:
        tiny_mnist.chmod(0)
    try:
        warm = evaluate(cfg, dataset_chosen=True)
    finally:
        if not as_root:
            tiny_mnist.chmod(0o755)
    assert warm["n_real"] == cold["n_real"] == 200
    assert warm["fid"] == pytest.approx(cold["fid"], rel=1e-9)


def test_two_training_seeds_share_one_reference_cache_file(tiny_mnist, tmp_path):
    """The real reference of seed 0's run and of seed 1's is one key and one features file: the
    training seed (``dataset.seed``) is not part of what the images are."""
    references = []
    for seed in (0, 1):
        cfg = compose_config(["experiment=mnist_gan", f"seed={seed}", f"dataset.root={tiny_mnist}", "dataset.download=false",
                              f"scoring.cache_dir={tmp_path / 'cache'}", "scoring.n_real=100"], tmp_path / f"run{seed}")  # fmt: skip
        assert cfg.dataset.seed == seed
        references.append(build(cfg.scoring, "scoring").reference(cfg.dataset))
    assert references[0].key == references[1].key

    first = references[0].features(lambda images: images.flatten(1)[:, :8], "test-backbone", batch_size=50)

    def never(images):
        raise AssertionError("seed 1 recomputed the features seed 0 cached")

    second = references[1].features(never, "test-backbone", batch_size=50)
    assert torch.equal(first, second)
    assert len(list((tmp_path / "cache" / "fidelity").glob("*-features.pt"))) == 1


@pytest.mark.parametrize("case", bench.CASES, ids=lambda case: case.experiment)
def test_hand_loops_train_the_presets_networks(case, tmp_path):
    """Section 1 compares like with like: the hand-written loop's networks are the preset's, layer
    for layer (nothing is read: the shapes come from the data set's settings)."""
    cfg = compose_config([f"experiment={case.experiment}", "dataset.root=unused"] if case.experiment.startswith("mnist") else
                         [f"experiment={case.experiment}"], tmp_path)  # fmt: skip
    model = build(cfg.model, "the model")
    *_, networks = bench.hand_updates(case.updates, cfg)
    expected = [model.generator, model.discriminator] + ([model.encoder] if case.updates == "bigan" else [])
    assert [[tuple(p.shape) for p in net.parameters()] for net in networks] == [[tuple(p.shape) for p in net.parameters()] for net in expected]
    assert [type(net) for net in networks] == [type(net) for net in expected]


def test_hand_loop_runs(tmp_path):
    """The ring8 hand-written loop trains a few iterations and times them."""
    timing = bench.hand_run(bench.CASES[0], 4, 1, str(tmp_path))
    assert timing["steady_ms"] > 0 and timing["total_ms"] > 0
