"""Weights & Biases, one run per job (zoo.callbacks.wandb_run): a sweep's jobs each get their own
named, grouped and tagged run with the results as its summary, every metric against
trainer/iteration (in CSV and TensorBoard too), offline by itself without a key, the run ended
whatever the job's ending, and continued by a resumed job. Never online: no key reaches the tests."""

import csv
import json
import socket
import struct
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from tests.conftest import QUICK, compose_config, run_cli
from zoo.callbacks import wandb_run
from zoo.checkpoint import read_checkpoint
from zoo.models.base import GANModule
from zoo.jobs.train import train

QUICK_WANDB = [*(o for o in QUICK if not o.startswith("logger=")), "logger=wandb", "dataset.n_samples=2048"]
WANDB_SETTINGS = ("WANDB_API_KEY", "WANDB_MODE", "WANDB_BASE_URL", "WANDB_DIR", "WANDB_SILENT", "NETRC")


@pytest.fixture
def no_account(tmp_path, monkeypatch):
    """No API key and a private HOME (wandb's config and cache there too): W&B goes offline by
    itself, and nothing is written to the real home."""
    for name in WANDB_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    for name, folder in [("HOME", home), ("WANDB_CONFIG_DIR", home / "config"), ("WANDB_CACHE_DIR", home / "cache"), ("WANDB_DATA_DIR", home / "data")]:
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(folder))
    return home


def leveldb_records(path: Path):
    """The records of a wandb transaction log (run-<id>.wandb): a 7-byte header, then LevelDB's log
    format, 32 KiB blocks of chunks (CRC, length, type: 1 whole, 2 first, 3 middle, 4 last)."""
    data, block = path.read_bytes(), 32768
    assert data[:4] == b":W&B", path
    position, pending = 7, b""
    while position + 7 <= len(data):
        if block - position % block < 7:  # a block's tail too short for a header is padding
            position += block - position % block
            continue
        _, length, kind = struct.unpack("<IHB", data[position : position + 7])
        if position + 7 + length > len(data):  # a chunk still being written
            return
        pending += data[position + 7 : position + 7 + length]
        position += 7 + length
        if kind in (1, 4):
            yield pending
            pending = b""


def offline_run(folder: Path) -> SimpleNamespace:
    """What an offline W&B run recorded. wandb 0.31 writes no files/config.yaml or
    wandb-summary.json offline; its .wandb log holds the run, config, summary and history records."""
    from wandb.proto import wandb_internal_pb2

    def value(item):
        return (item.key or "/".join(item.nested_key)), json.loads(item.value_json)

    run = SimpleNamespace(config={}, summary={}, history=[], axes={}, exit_code=None)
    for data in leveldb_records(next(folder.glob("run-*.wandb"))):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(data)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run.id, run.name, run.group, run.job_type, run.tags = record.run.run_id, record.run.display_name, record.run.run_group, record.run.job_type, list(record.run.tags)
        elif kind == "config":
            run.config |= dict(value(item) for item in record.config.update)
        elif kind == "summary":
            run.summary |= dict(value(item) for item in record.summary.update)
        elif kind == "history":
            run.history.append(dict(value(item) for item in record.history.item))
        elif kind == "metric":
            run.axes[record.metric.name or record.metric.glob_name] = record.metric.step_metric
        elif kind == "exit":
            run.exit_code = record.exit.exit_code
    return run


def finished_run(folder: Path, timeout: float = 20) -> SimpleNamespace:
    """``offline_run`` once its exit is recorded: wandb's service writes the last records of the
    file shortly after ``run.finish()`` returns."""
    deadline = time.monotonic() + timeout
    while (run := offline_run(folder)).exit_code is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return run


def runs_under(folder: Path) -> list[SimpleNamespace]:
    return [finished_run(run) for run in sorted(folder.rglob("offline-run-*"))]


def test_a_sweep_leaves_one_named_grouped_and_tagged_run_per_job(tmp_path, no_account):
    sweep = tmp_path / "sweep"
    done = run_cli("zoo.train", "-m", "experiment=ring8_gan,ring8_wgan_gp", *QUICK_WANDB, f"hydra.sweep.dir={sweep}")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "already in progress" not in done.stderr  # no job logged into another's run
    syncs = [line for line in done.stderr.splitlines() if "wandb sync" in line]
    assert len(syncs) == 2 and all(line.startswith("zoo: the W&B run ") and "/wandb/offline-run-" in line for line in syncs)
    gan, wgan_gp = sorted(runs_under(sweep), key=lambda run: run.name)
    assert gan.id != wgan_gp.id and not list(no_account.rglob("offline-run-*"))  # nothing under HOME
    assert (gan.name, wgan_gp.name) == ("ring8_gan-ring8-seed0", "ring8_wgan_gp-ring8-seed0")
    assert gan.group == wgan_gp.group == "sweep"  # the sweep's folder
    assert (gan.job_type, gan.tags) == ("gan", ["gan", "nonsaturating", "mlp", "ring8"])
    assert (wgan_gp.job_type, wgan_gp.tags) == ("wgan_gp", ["wgan_gp", "wasserstein", "mlp", "ring8"])
    for run, experiment in [(gan, "ring8_gan"), (wgan_gp, "ring8_wgan_gp")]:
        results = json.loads(next(sweep.glob(f"*experiment={experiment},*/results.json")).read_text())
        assert run.config["experiment"] == experiment and f"experiment={experiment}" in run.config["overrides"]
        assert run.config["iterations"] == 6 and run.config["model"]["_target_"].startswith("zoo.models.")
        assert {key: run.summary[key] for key in results} == results and results["status"] == "ok"
        assert run.axes["*"] == "trainer/iteration" and run.exit_code == 0
        scored = [row for row in run.history if "val/modes" in row]
        assert [row["trainer/iteration"] for row in scored] == [3, 6]
        assert all("trainer/iteration" in row for row in run.history)  # pictures too
    # A sweep over another key names it: this job's value of what varies between the jobs.
    assert wandb_run.swept(["experiment=pacgan/ring_gan", "model.n_critic=5", "logger=wandb", "seed=1"], sweep / "multirun.yaml") == []
    (tmp_path / "multirun.yaml").write_text("hydra:\n  overrides:\n    task: [experiment=pacgan/ring_gan, 'model.n_critic=1,5', 'seed=0,1', logger=wandb]\n")
    assert wandb_run.swept(["experiment=pacgan/ring_gan", "model.n_critic=5", "seed=1", "logger=wandb"], tmp_path / "multirun.yaml") == ["model.n_critic=5"]


def test_a_resumed_job_goes_on_in_its_wandb_run(tmp_path, no_account):
    first, resumed = tmp_path / "first", tmp_path / "resumed"
    assert train(compose_config(QUICK_WANDB, first))["status"] == "ok"
    kept = read_checkpoint(first / "checkpoints" / "last.ckpt")["callbacks"]["WandbRun"]
    (before,) = runs_under(first)
    assert kept["id"] == before.id and kept["name"] == before.name == "train-seed0"  # without Hydra: <task_name>-seed<N>
    assert train(compose_config([*QUICK_WANDB, "iterations=10", f"ckpt_path={first}/checkpoints/last.ckpt"], resumed))["status"] == "ok"
    (after,) = runs_under(resumed)
    assert (after.id, after.name) == (before.id, before.name) and after.summary["iterations"] == 10
    assert read_checkpoint(resumed / "checkpoints" / "last.ckpt")["callbacks"]["WandbRun"]["id"] == before.id


def nan_loss(real, fake, **settings):
    """A discriminator loss that is NaN from the first step: the run diverges."""
    return (real.mean() + fake.mean()) * float("nan")


def test_a_diverged_or_crashed_job_ends_its_run(tmp_path, no_account, monkeypatch):
    import wandb

    diverged = train(compose_config([*QUICK_WANDB, "loss.d_loss._target_=tests.test_wandb.nan_loss", "trainer.log_every_n_steps=1"], tmp_path / "diverged"))
    (run,) = runs_under(tmp_path / "diverged")
    assert diverged["status"] == run.summary["status"] == "diverged" and run.exit_code == 1 and wandb.run is None

    def crash(self, terms):
        raise RuntimeError("boom")

    monkeypatch.setattr(GANModule, "log_terms", crash)
    with pytest.raises(RuntimeError, match="boom"):
        train(compose_config(QUICK_WANDB, tmp_path / "crashed"))
    (run,) = runs_under(tmp_path / "crashed")
    assert run.exit_code == 1 and wandb.run is None  # the next job starts a run of its own


def test_csv_and_tensorboard_log_the_iteration_beside_every_metric(tmp_path):
    overrides = [*(o for o in QUICK if not o.startswith("logger=")), "logger=[csv,tensorboard]", "experiment=ring8_wgan_gp", "dataset.n_samples=2048"]
    train(compose_config(overrides, tmp_path))  # 6 optimizer steps per generator iteration
    with open(tmp_path / "csv" / "metrics.csv") as file:
        rows = list(csv.DictReader(file))
    assert rows and all(int(row["trainer/iteration"]) * 6 == int(row["step"]) for row in rows)
    assert [int(row["trainer/iteration"]) for row in rows if row.get("val/modes")] == [3, 6]
    events = EventAccumulator(str(next((tmp_path / "tensorboard").rglob("events.out.tfevents.*")).parent))
    events.Reload()
    assert all(event.value * 6 == event.step for event in events.Scalars("trainer/iteration"))


def test_offline_by_itself_without_a_key_or_an_answering_host(tmp_path, no_account, monkeypatch):
    assert wandb_run.wandb_mode(None) == "offline"  # no key
    assert wandb_run.wandb_mode(True) == "offline" and wandb_run.wandb_mode(False) == "online"
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        host = f"127.0.0.1:{listening.getsockname()[1]}"
        monkeypatch.setenv("WANDB_BASE_URL", f"http://{host}")
        assert wandb_run.wandb_mode(None) == "offline"  # a host, but no key
        netrc = no_account / ".netrc"
        netrc.write_text(f"machine {host}\n  login user\n  password 0123456789abcdef\n")  # what `wandb login` writes
        netrc.chmod(0o600)
        assert wandb_run.has_api_key() and wandb_run.wandb_mode(None) == "online"
    assert wandb_run.wandb_mode(None) == "offline"  # the host stopped answering
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert wandb_run.wandb_mode(None) == "disabled"  # WANDB_MODE decides


def test_no_wandb_key_reaches_the_run_files(tmp_path, no_account, monkeypatch):
    secret = "0123456789abcdef0123456789abcdef01234567"
    monkeypatch.setenv("WANDB_API_KEY", secret)
    monkeypatch.setenv("WANDB_MODE", "offline")  # a key, but never online in a test
    train(compose_config(QUICK_WANDB, tmp_path / "run"))
    assert list((tmp_path / "run").rglob("run-*.wandb"))
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
