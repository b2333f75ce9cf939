"""Every canonical preset composes and trains a few iterations."""

from pathlib import Path

import pytest

from tests.conftest import QUICK, compose_config, mnist_root
from zoo.cli import CONFIG_DIR
from zoo.train import train

PRESETS = sorted(path.stem for path in (CONFIG_DIR / "experiment").glob("*.yaml"))


def test_there_are_presets():
    assert "ring8_gan" in PRESETS and len(PRESETS) >= 4


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_runs_a_few_iterations(tmp_path, preset):
    overrides = [f"experiment={preset}", *QUICK]
    cfg = compose_config(overrides, tmp_path)
    if cfg.dataset.get("root") is not None:  # torchvision data: the local copy, no download
        overrides += [f"dataset.root={mnist_root()}", "dataset.download=false"]
    results = train(compose_config(overrides, tmp_path))
    assert results["status"] == "ok" and results["iterations"] == 6
    assert Path(tmp_path / "checkpoints" / "last.ckpt").is_file()
