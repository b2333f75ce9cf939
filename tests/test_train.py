"""End to end: a run's artifacts, resuming, sampling from its checkpoint, the CLI."""

import json

import numpy as np
import pytest

from tests.conftest import QUICK, compose_config, run_cli
from zoo.cli import group_options
from zoo.checkpoint import load_generator
from zoo.jobs.sample import sample
from zoo.jobs.train import train


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("ring_run")
    results = train(compose_config([*QUICK, "dataset.n_samples=4096"], output_dir))
    return output_dir, results


def test_a_finished_run_leaves_results_checkpoint_and_pictures(ring_run):
    output_dir, results = ring_run
    on_disk = json.loads((output_dir / "results.json").read_text())
    assert on_disk == results and on_disk["status"] == "ok" and on_disk["iterations"] == 6
    assert {"val/modes", "val/hq_pct", "val/reverse_kl", "train/d_loss", "train/g_loss"} <= set(on_disk)
    assert all(isinstance(v, (int, float)) for k, v in on_disk.items() if k != "status")
    assert (output_dir / "checkpoints" / "last.ckpt").is_file()
    scatters = sorted(p.name for p in (output_dir / "samples").glob("iter_*.png"))
    assert scatters == ["iter_000003.png", "iter_000006.png"]  # eval_every=3, and at the end
    assert "train/d_loss" in (output_dir / "csv" / "metrics.csv").read_text()


def test_training_resumes_from_a_checkpoint(ring_run, tmp_path):
    output_dir, _ = ring_run
    cfg = compose_config([*QUICK, "dataset.n_samples=4096", "iterations=10", f"ckpt_path={output_dir}/checkpoints/last.ckpt"], tmp_path)
    assert train(cfg)["iterations"] == 10


def test_sampling_from_a_checkpoint(ring_run, tmp_path):
    output_dir, _ = ring_run
    ckpt = output_dir / "checkpoints" / "last.ckpt"
    sample(str(ckpt), 2500, str(tmp_path / "s.npy"))
    points = np.load(tmp_path / "s.npy")
    assert points.shape == (2500, 2) and points.dtype == np.float32 and np.isfinite(points).all()
    metrics = sample(str(ckpt), 500, str(tmp_path / "s.png"))
    assert (tmp_path / "s.png").stat().st_size > 1000 and set(metrics) == {"modes", "hq_pct", "reverse_kl"}
    # The same seed gives the same samples: the checkpoint rebuilds the same generator.
    model, _ = load_generator(ckpt)
    assert np.allclose(model.sample(2500, seed=0).numpy(), points)


def test_image_run_saves_sample_grids_and_samples_images(tmp_path):
    results = train(compose_config(["experiment=digits_gan", *QUICK, "net.generator.width=8", "net.discriminator.width=8"], tmp_path))
    assert results["status"] == "ok" and "val/modes" not in results
    assert (tmp_path / "samples" / "final.png").is_file()
    sample(str(tmp_path / "checkpoints" / "last.ckpt"), 16, str(tmp_path / "grid.npy"))
    images = np.load(tmp_path / "grid.npy")
    assert images.shape == (16, 1, 16, 16) and images.min() >= -1 and images.max() <= 1
    sample(str(tmp_path / "checkpoints" / "last.ckpt"), 16, str(tmp_path / "grid.png"))
    assert (tmp_path / "grid.png").is_file()


def test_epoch_budget_and_tensorboard_logger(tmp_path):
    overrides = ["experiment=digits_gan", *QUICK, "iterations=null", "trainer.max_epochs=1", "dataset.size=8"]
    overrides += ["net.generator.width=8", "net.discriminator.width=8", "logger=tensorboard"]
    results = train(compose_config(overrides, tmp_path))
    assert results["iterations"] == 1797 // 64  # one pass over the digits, one G update per batch
    assert (tmp_path / "samples" / "epoch_000.png").is_file()
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))


def test_command_line_run_prints_a_summary_and_keeps_the_hydra_config(tmp_path):
    run_dir = tmp_path / "run"
    done = run_cli("zoo.train", "iterations=4", "eval_every=2", "dataset.n_samples=2048", f"hydra.run.dir={run_dir}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "modes captured" in done.stdout and str(run_dir / "results.json") in done.stdout
    assert (run_dir / ".hydra" / "config.yaml").is_file() and (run_dir / "results.json").is_file()


def test_help_lists_the_groups_and_their_options():
    done = run_cli("zoo.train", "--help")
    assert done.returncode == 0
    for group in ("dataset", "loss", "model", "net", "trainer", "logger", "experiment"):
        assert f"{group}: {', '.join(group_options(group))}" in done.stdout
    assert "dataset: celeba, cifar10, digits, fashion_mnist, grid25, image_folder, mnist, ring8, stacked_mnist" in done.stdout


def nan_loss(real_logits, fake_logits, real_label=1.0):
    """A discriminator loss that diverges at once (a stand-in for a blown-up run)."""
    return (real_logits.mean() + fake_logits.mean()) * float("nan")


def test_a_diverging_run_stops_and_says_so(tmp_path):
    cfg = compose_config([*QUICK, "iterations=50", "loss.d_loss._target_=tests.test_train.nan_loss"], tmp_path)
    results = train(cfg)
    assert results["status"] == "diverged" and results["diverged_term"] == "train/d_loss" and results["diverged_network"] == "discriminator"
    assert results["iterations"] < 50
    assert json.loads((tmp_path / "results.json").read_text())["status"] == "diverged"
