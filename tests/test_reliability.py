"""Nothing is lost on a kill or a signal, a resumed run is the run that was never stopped, and
results.json says "ok" only when it is true."""

import json
import os
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import torch

from tests.conftest import QUICK, ROOT, compose_config
from zoo.callbacks.checkpointing import save_atomically
from zoo.checkpoint import read_checkpoint
from zoo.errors import ConfigError
from zoo.jobs.train import train

SMALL = ["net.generator.hidden=16", "net.discriminator.hidden=16", "dataset.n_samples=4096"]


def final_state(run_dir) -> dict:
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    return {"weights": checkpoint["state_dict"], "optimizers": checkpoint["optimizer_states"], "step": checkpoint["global_step"]}


def assert_bitwise_equal(a, b, where="") -> None:
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_bitwise_equal(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_bitwise_equal(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


@pytest.mark.parametrize("variant", [["experiment=ring8_gan", *SMALL], ["experiment=ring8_vaegan", *SMALL, "net.encoder.hidden=16"]], ids=["gan", "vaegan"])
def test_a_resumed_run_ends_bitwise_equal_to_the_uninterrupted_one(tmp_path, variant):
    common = [*variant, *QUICK]
    train(compose_config([*common, "iterations=10"], tmp_path / "straight"))
    train(compose_config([*common, "iterations=4"], tmp_path / "first"))
    resumed = train(compose_config([*common, "iterations=10", f"ckpt_path={tmp_path / 'first' / 'checkpoints' / 'last.ckpt'}"], tmp_path / "second"))
    assert resumed["status"] == "ok" and resumed["iterations"] == 10
    assert_bitwise_equal(final_state(tmp_path / "straight"), final_state(tmp_path / "second"))


def test_a_checkpoint_of_another_variant_or_data_set_is_refused(tmp_path):
    train(compose_config([*QUICK, *SMALL], tmp_path / "run"))
    ckpt = tmp_path / "run" / "checkpoints" / "last.ckpt"
    with pytest.raises(ConfigError, match=r"holds a GAN run on Ring; .* cannot change model._target_"):
        train(compose_config([*QUICK, "model=wgan", "net.generator.hidden=16", "net.discriminator.hidden=16", f"ckpt_path={ckpt}"], tmp_path / "other"))
    with pytest.raises(ConfigError, match=r"dataset._target_"):
        train(compose_config([*QUICK, *SMALL[:2], "dataset=grid25", f"ckpt_path={ckpt}"], tmp_path / "other2"))


def test_a_resume_past_the_budget_trains_zero_steps_and_says_failed(tmp_path):
    train(compose_config([*QUICK, *SMALL], tmp_path / "run"))
    results = train(compose_config([*QUICK, *SMALL, f"ckpt_path={tmp_path / 'run' / 'checkpoints' / 'last.ckpt'}"], tmp_path / "again"))
    assert results["status"] == "failed" and "already at iteration 6" in results["error"]


def test_a_batch_larger_than_the_data_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="dataset.batch_size=512 is larger than the data"):
        train(compose_config([*QUICK, "dataset.n_samples=100", "dataset.batch_size=512"], tmp_path))


def test_divergence_names_iteration_network_and_term_and_keeps_the_last_good_checkpoint(tmp_path):
    overrides = [*QUICK, *SMALL, "iterations=40", "checkpoint_every=4", "trainer.log_every_n_steps=1", "loss.d_loss._target_=tests.test_reliability.nan_after_20_calls"]
    results = train(compose_config(overrides, tmp_path))
    assert results["status"] == "diverged" and results["diverged_network"] == "discriminator" and results["diverged_term"] == "train/d_loss"
    assert results["diverged_iteration"] == 20 and results["iterations"] <= 21
    saved = read_checkpoint(tmp_path / "checkpoints" / "last.ckpt")
    assert saved["global_step"] == 20 * 2  # the checkpoint at iteration 20, before the NaN
    assert all(value.isfinite().all() for value in saved["state_dict"].values() if value.is_floating_point())
    json.loads((tmp_path / "results.json").read_text())  # valid JSON, NaN-free


CALLS = {"n": 0}


def nan_after_20_calls(real_logits, fake_logits, real_label=1.0):
    """The cross-entropy D loss until its 21st call, then NaN (a stand-in for a blow-up)."""
    from zoo.losses import d_nonsaturating

    CALLS["n"] += 1
    loss = d_nonsaturating(real_logits, fake_logits)
    return loss * float("nan") if CALLS["n"] > 20 else loss


# --- kills and signals (subprocesses, as a scheduler would send them) ------------------------------

SLOW_WRITER = """
import os, sys, time
from pathlib import Path
from types import SimpleNamespace
from zoo.callbacks.checkpointing import save_atomically

def write(path, payload, slow):
    with open(path, "wb") as handle:
        for i in range(0, len(payload), 1 << 16):
            handle.write(payload[i : i + (1 << 16)])
            if slow:
                Path(sys.argv[1] + ".writing").touch()
                time.sleep(0.01)

target = Path(sys.argv[1])
strategy = SimpleNamespace(barrier=lambda: None)
save_atomically(SimpleNamespace(save_checkpoint=lambda p, **kw: write(p, b"good" * 2**18, False), is_global_zero=True, strategy=strategy), target)
save_atomically(SimpleNamespace(save_checkpoint=lambda p, **kw: write(p, b"next" * 2**20, True), is_global_zero=True, strategy=strategy), target)
"""


def test_a_kill_in_the_middle_of_a_checkpoint_write_leaves_the_previous_one_whole(tmp_path):
    target = tmp_path / "last.ckpt"
    writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(target)], cwd=ROOT)
    deadline = time.time() + 60
    while not (tmp_path / "last.ckpt.writing").exists() and time.time() < deadline:
        time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert target.read_bytes() == b"good" * 2**18  # the whole previous file, not a part of the next


def test_a_failed_write_leaves_the_previous_checkpoint_and_no_temporary_file(tmp_path):
    target = tmp_path / "last.ckpt"
    target.write_bytes(b"previous")

    def full_disk(path, **kwargs):
        path.write_bytes(b"par")
        raise OSError(28, "No space left on device")

    trainer = SimpleNamespace(save_checkpoint=full_disk, is_global_zero=True, strategy=SimpleNamespace(barrier=lambda: None))
    with pytest.raises(OSError):
        save_atomically(trainer, target)
    assert target.read_bytes() == b"previous" and [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]


def start_training(run_dir, *overrides):
    args = ["iterations=100000", "checkpoint_every=50", "eval_every=100000", "dataset.n_samples=4096", *SMALL[:2], "logger=csv"]
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.Popen([sys.executable, "-m", "zoo.train", *args, *overrides, f"hydra.run.dir={run_dir}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def wait_for(pattern, process, timeout=120, root=None):
    """The first path that exists: ``pattern`` itself, or with ``root`` the first match of that glob
    under it (a sweep's job folder, whose name Hydra chooses); fails if the process ends first."""
    deadline = time.time() + timeout
    while True:
        found = next(iter(root.glob(pattern)), None) if root is not None else (pattern if pattern.exists() else None)
        if found is not None:
            return found
        assert process.poll() is None and time.time() < deadline, process.communicate()[1][-2000:] if process.poll() is not None else "timed out"
        time.sleep(0.1)


def test_sigkill_after_a_checkpoint_keeps_it(tmp_path):
    process = start_training(tmp_path / "run")
    ckpt = tmp_path / "run" / "checkpoints" / "last.ckpt"
    wait_for(ckpt, process)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert read_checkpoint(ckpt)["global_step"] >= 50 * 2


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_finishes_the_iteration_saves_and_exits_non_zero(tmp_path, signum):
    process = start_training(tmp_path / "run", "model.n_critic=3")
    ckpt = tmp_path / "run" / "checkpoints" / "last.ckpt"
    wait_for(ckpt, process)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, stderr[-2000:]
    assert f"interrupted by {signum.name}" in stderr and "resume with: python -m zoo.train ckpt_path=" in stderr
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["status"] == "interrupted" and results["signal"] == signum.name
    saved = read_checkpoint(ckpt)
    assert saved["global_step"] == results["iterations"] * 4  # a whole iteration: 3 critic steps and G


def test_a_signal_stops_a_sequential_sweep_after_saving_its_job(tmp_path):
    """SIGTERM asks the process to end: the job in progress saves and says "interrupted", the next
    job never starts, summary.md lists the job that ran, and the command exits with 143."""
    sweep = tmp_path / "sweep"
    args = ["iterations=100000", "checkpoint_every=50", "eval_every=100000", *SMALL, "logger=csv"]
    process = subprocess.Popen([sys.executable, "-m", "zoo.train", "-m", *args, "seed=0,1", f"hydra.sweep.dir={sweep}"], cwd=ROOT,
                               env={**os.environ, "HYDRA_FULL_ERROR": "0"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    first = wait_for("0_*/checkpoints/last.ckpt", process, root=sweep).parents[1]
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    results = json.loads((first / "results.json").read_text())
    assert results["status"] == "interrupted" and results["signal"] == "SIGTERM"
    assert read_checkpoint(first / "checkpoints" / "last.ckpt")["global_step"] == results["iterations"] * 2
    assert not list(sweep.glob("1_*")), "the second job started after the signal"
    assert "interrupted" in (sweep / "summary.md").read_text() and "resume with: python -m zoo.train ckpt_path=" in stderr


def test_a_resumed_command_line_run_goes_on_in_its_own_run_dir(tmp_path):
    from tests.conftest import run_cli

    run = tmp_path / "run"
    first = run_cli("zoo.train", "iterations=4", "checkpoint_every=2", "dataset.n_samples=2048", f"hydra.run.dir={run}")
    assert first.returncode == 0, first.stderr[-2000:]
    again = run_cli("zoo.train", "iterations=8", "dataset.n_samples=2048", f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads((run / "results.json").read_text())["iterations"] == 8
    assert read_checkpoint(run / "checkpoints" / "last.ckpt")["global_step"] == 16
    assert not (tmp_path / "outputs").exists()  # no second run dir
    assert (run / "csv" / "metrics-until-iteration-4.csv").is_file() and (run / "csv" / "metrics.csv").is_file()


def test_a_resume_takes_the_checkpoints_config_and_refuses_another_variant(tmp_path):
    """Resuming a WGAN-GP run without repeating its experiment goes on as WGAN-GP (the issue's
    "silently continues as NS-GAN"), ckpt_path=last finds it, and the first run's record stays."""
    from tests.conftest import run_cli

    run = tmp_path / "outputs" / "train" / "wgan_gp"
    first = run_cli("zoo.train", "experiment=ring8_wgan_gp", "iterations=3", "eval_every=3", "dataset.n_samples=2048", "callbacks.progress_bar=null", f"hydra.run.dir={run}", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    again = run_cli("zoo.train", "ckpt_path=last", "iterations=5", "callbacks.progress_bar=null", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    saved = read_checkpoint(run / "checkpoints" / "last.ckpt")
    assert saved["zoo_config"]["model"]["_target_"] == "zoo.models.wgan_gp.WGANGP" and saved["zoo_config"]["iterations"] == 5
    assert saved["global_step"] == 5 * 6  # n_critic 5 and G: still WGAN-GP's steps
    assert json.loads((run / "results.json").read_text())["iterations"] == 5
    assert "experiment=ring8_wgan_gp" in (run / ".hydra" / "overrides.yaml").read_text()  # the first run's record
    assert len(list((run / ".hydra").glob("resumed-*/overrides.yaml"))) == 1
    refused = run_cli("zoo.train", f"ckpt_path={run}", "model=gan", "iterations=7", cwd=tmp_path)
    assert refused.returncode == 2 and "holds a WGANGP run on Ring" in refused.stderr and "cannot change model._target_" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    nothing = run_cli("zoo.train", "ckpt_path=last", cwd=tmp_path / "outputs")
    assert nothing.returncode == 2 and "ckpt_path=last found no checkpoint in outputs/train/*/checkpoints/" in nothing.stderr
