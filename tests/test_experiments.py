"""Every canonical preset composes and trains a few iterations."""

from pathlib import Path

import pytest

from tests.conftest import QUICK, compose_config, mnist_root
from tests.test_image_datasets import celeba_root, cifar_root, skip_md5  # noqa: F401  (fixtures)
from zoo.cli import CONFIG_DIR
from zoo.jobs.train import train

# Every preset, those in folders too (experiment=pacgan/ring_gan).
PRESETS = sorted(str(path.relative_to(CONFIG_DIR / "experiment").with_suffix("")) for path in (CONFIG_DIR / "experiment").rglob("*.yaml"))


def run_preset(preset: str, tmp_path: Path, extra: list[str] = (), request=None) -> dict:
    """Train ``experiment=<preset>`` for a few iterations on local data; returns its results."""
    overrides = [*extra, f"experiment={preset}", *QUICK]
    cfg = compose_config(overrides, tmp_path)
    # CIFAR-10 and CelebA: a few fake files in their real layouts (tests/test_image_datasets.py).
    fake_roots = {"CIFAR10": "cifar_root", "CelebA": "celeba_root"}
    name = cfg.dataset.get("name", cfg.dataset._target_.rsplit(".", 1)[-1])
    if name in fake_roots:
        overrides += [f"dataset.root={request.getfixturevalue(fake_roots[name])}", "dataset.download=false", "dataset.batch_size=2"]
    elif cfg.dataset.get("root") is not None:  # torchvision data: the local copy, no download
        overrides += [f"dataset.root={mnist_root()}", "dataset.download=false"]
    results = train(compose_config(overrides, tmp_path))
    assert Path(tmp_path / "checkpoints" / "last.ckpt").is_file()
    return results


def test_there_are_presets():
    assert "ring8_gan" in PRESETS and "pacgan/ring_pacgan2" in PRESETS and len(PRESETS) >= 4


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_runs_a_few_iterations(tmp_path, preset, request):
    # Without in-training scores: a table preset's Stacked-MNIST modes would train the classifier
    # first (minutes); scoring has its own tests.
    results = run_preset(preset, tmp_path, ["callbacks.fidelity.metrics=[]"], request=request)
    assert results["status"] == "ok" and results["iterations"] == 6
