"""Every variant trains under DDP (2 gloo processes on the CPU), and 2 ranks are the single process
on twice the batch: the same parameters after several iterations, through GANModule's own
training_step, toggled updates and DDP's gradient averaging."""

import json

import lightning as L
import pytest
import torch
from hydra.utils import instantiate

from tests.conftest import QUICK, compose_config, run_cli
from zoo.models.base import GANModule

RING8 = ["gan", "wgan", "wgan_gp", "sngan", "lsgan", "hinge", "fgan", "ebgan", "infogan", "vaegan", "bigan"]
DDP_CLI = ["trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2", "debug=fast"]


def statuses(sweep_or_run) -> dict[str, dict]:
    return {path.parent.name: json.loads(path.read_text()) for path in sorted(sweep_or_run.glob("**/results.json"))}


# Installed as sitecustomize in every process of the sweep (the ranks inherit PYTHONPATH): a Python
# audit hook that notes each file opened for writing, with the writer's rank, in ZOO_WRITES_LOG.
AUDIT_WRITES = """
import os, sys
_busy = []
def _note(event, args):
    if event != "open" or _busy or not isinstance(args[0], (str, os.PathLike)):
        return
    mode, flags = args[1], args[2] or 0
    if (isinstance(mode, str) and any(c in mode for c in "wax+")) or flags & (os.O_WRONLY | os.O_RDWR):
        _busy.append(1)
        try:
            with open(os.environ["ZOO_WRITES_LOG"], "a") as log:
                log.write(os.environ.get("LOCAL_RANK", "0") + " " + os.fspath(args[0]) + "\\n")
        finally:
            _busy.pop()
if os.environ.get("ZOO_WRITES_LOG"):
    sys.addaudithook(_note)
"""


@pytest.mark.slow
def test_every_ring8_experiment_trains_under_two_process_ddp(tmp_path, monkeypatch):
    """One sweep (one start-up) of every ring8 experiment, each job with its own 2 gloo ranks:
    each update's backward leaves the other networks without gradients, which DDP's reducer
    refuses unless trainer=ddp lets it look for unused parameters. Only rank 0 writes the job's
    files: of every file a Python-level open() writes into the sweep (results.json, configs, the
    summary; torch.save's C++ writer is not audited), rank 1 writes its own log alone."""
    audit = tmp_path.parent / f"{tmp_path.name}-audit"
    audit.mkdir()
    (audit / "sitecustomize.py").write_text(AUDIT_WRITES)
    monkeypatch.setenv("PYTHONPATH", f"{audit}:{__import__('os').environ.get('PYTHONPATH', '')}")
    monkeypatch.setenv("ZOO_WRITES_LOG", str(audit / "writes.txt"))
    done = run_cli("zoo.train", "-m", "experiment=" + ",".join(f"ring8_{name}" for name in RING8), *DDP_CLI, f"hydra.sweep.dir={tmp_path}", cwd=tmp_path, timeout=420)
    assert done.returncode == 0, done.stderr[-3000:]
    jobs = statuses(tmp_path)
    assert len(jobs) == len(RING8)
    for job, results in jobs.items():
        assert (results["status"], results["iterations"]) == ("ok", 4), (job, results)
        assert (tmp_path / job / "train_ddp_process_1.log").is_file(), job  # rank 1 ran in its job
    assert "Expected to have finished reduction" not in done.stderr  # DDP reducer's error on parameters without gradients
    writes = [line.split(" ", 1) for line in (audit / "writes.txt").read_text().splitlines()]
    in_sweep = [(rank, path) for rank, path in writes if path.startswith(str(tmp_path))]
    assert any(rank == "0" and path.endswith("results.json") for rank, path in in_sweep)  # the audit sees the writes
    assert {path.rsplit("/", 1)[-1] for rank, path in in_sweep if rank != "0"} == {"train_ddp_process_1.log"}


@pytest.mark.slow
@pytest.mark.parametrize(
    "overrides",
    [["experiment=ring8_gan", "model.pack=2"], ["experiment=ring8_wgan_gp", "precision=fp16_cpu"]],
    ids=["pack2", "wgan_gp_fp16"],
)
def test_packing_and_fp16_train_under_two_process_ddp(tmp_path, overrides):
    """PacGAN's packed D, and float16 with its GradScaler (precision=fp16_cpu composes with
    trainer=ddp), under 2-rank DDP."""
    done = run_cli("zoo.train", *overrides, *DDP_CLI, f"hydra.run.dir={tmp_path}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert statuses(tmp_path)[tmp_path.name]["status"] == "ok"


# --- 2 ranks = 1 process on the global batch ------------------------------------------------------


def global_noise(self: GANModule, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """The noise of a global batch, the same in every process: the k-th draw of a run is seeded k,
    drawn for all ranks (n per rank) and cut the way the data module cuts the real batch (rank r
    takes every world_size-th row from r), so the ranks' fake batches together are the single
    process's."""
    world, rank = self.trainer.world_size, self.trainer.global_rank
    self.draws = getattr(self, "draws", 0) + 1
    z = torch.randn(n * world, self.latent_dim, generator=torch.Generator().manual_seed(self.draws))
    return z[rank::world].to(self.device)


def fit(tmp_path, overrides: list[str], devices: int, batch_size: int, iterations: int = 8) -> dict[str, torch.Tensor]:
    """The parameters after ``iterations`` of a bare Trainer on ``devices`` CPU processes, with
    the strategy of trainer=ddp (forked rather than re-run from the command line, so that the
    test's noise reaches the ranks; Lightning hands rank 0's weights back to this process)."""
    cfg = compose_config(["trainer=ddp", *overrides, *QUICK, f"dataset.batch_size={batch_size}", "dataset.n_samples=4096"], tmp_path)
    torch.manual_seed(0)
    model, datamodule = instantiate(cfg.model), instantiate(cfg.dataset)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    strategy = instantiate(cfg.trainer.strategy, start_method="fork") if devices > 1 else "auto"
    trainer = L.Trainer(accelerator="cpu", devices=devices, strategy=strategy, max_steps=iterations * model.steps_per_iteration, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False, log_every_n_steps=1)  # fmt: skip
    trainer.fit(model, datamodule)
    return {name: (p.detach().clone(), before[name]) for name, p in model.named_parameters()}


@pytest.mark.parametrize(
    "overrides",
    [
        ["experiment=ring8_gan", "net.generator.hidden=32", "net.discriminator.hidden=32"],
        # three networks and three optimizers (D, then G, then E): MLPs, no batch norm to differ by batch size
        ["experiment=ring8_bigan", "net=mlp", "net.generator.hidden=32", "net.joint_discriminator.hidden=32", "net.encoder.hidden=32"],
    ],
    ids=["gan", "bigan"],
)
def test_two_ranks_reach_the_parameters_of_one_process_on_the_global_batch(tmp_path, monkeypatch, overrides):
    monkeypatch.setattr(GANModule, "noise", global_noise)
    one = fit(tmp_path, overrides, devices=1, batch_size=64)
    two = fit(tmp_path, overrides, devices=2, batch_size=32)
    half = fit(tmp_path, overrides, devices=1, batch_size=32)  # rank 0's share alone: what no averaging would give
    gap = max((one[name][0] - two[name][0]).abs().max().item() for name in one)
    moved = min((one[name][0] - one[name][1]).abs().max().item() for name in one)
    alone = max((half[name][0] - two[name][0]).abs().max().item() for name in one)
    assert gap < 1e-6, gap  # float summation order only (measured ~2e-8)
    assert moved > 1e-4 and alone > 1e-5, (moved, alone)  # every tensor trained, and the ranks' shares both count
