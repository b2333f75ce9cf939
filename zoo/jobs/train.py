"""The work of ``zoo-train`` (zoo/train.py is the command and says what a run leaves behind)."""

import json
import math
import os
import signal
import sys
import time
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_only
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from zoo.callbacks import GracefulStop, PeriodicEvaluation, StoreConfig
from zoo.callbacks.wandb_run import build_loggers, end_wandb_runs
from zoo.checkpoint import read_checkpoint, resume_config
from zoo.checks import check_config
from zoo.cli import as_single_run, failed_objective, threads_per_job
from zoo.rundirs import find_checkpoint
from zoo.sweep import SweepStopped, stops_with_its_job
from zoo.errors import ConfigError, Divergence
from zoo.factory import build, build_datamodule


def train(cfg: DictConfig, overrides: list[str] | None = None) -> dict:
    """Check, build and fit one run; write and return its results (see module docstring).

    With ``ckpt_path`` the run goes on from that checkpoint with the checkpoint's own config,
    changed only by ``overrides`` (the command line's; None: ``cfg`` is taken as it is), see
    zoo.checkpoint.resume_config."""
    resumed_step = None
    if cfg.ckpt_path:
        cfg.ckpt_path = str(find_checkpoint(cfg.ckpt_path, f"outputs/{cfg.task_name}"))
        checkpoint = read_checkpoint(cfg.ckpt_path)
        resumed_step = checkpoint["global_step"]
        cfg = resume_config(checkpoint, cfg, overrides)
    check_config(cfg)
    if cfg.trainer.accelerator == "cpu":
        # With a CUDA build of torch on a machine without a GPU, every optimizer step asks NVML
        # for the device count (a dlopen, ~0.25 ms); an empty CUDA_VISIBLE_DEVICES answers at once.
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    output_dir = Path(cfg.paths.output_dir)

    datamodule = build_datamodule(cfg)
    if len(datamodule.data) < cfg.dataset.batch_size:
        raise ConfigError(f"dataset.batch_size={cfg.dataset.batch_size} is larger than the data ({len(datamodule.data)} examples): lower it")
    if cfg.threads or datamodule.kind == "points":  # small MLPs on points: one thread is fastest
        torch.set_num_threads(cfg.threads or 1)
    model = build(cfg.model, "the model")
    callbacks = [build(node, f"callbacks.{name}") for name, node in cfg.callbacks.items() if node is not None]
    callbacks.append(StoreConfig(cfg))
    previous_log = output_dir / "csv" / "metrics.csv"
    if resumed_step is not None and previous_log.is_file():  # Lightning's CSV logger would delete it
        previous_log.rename(previous_log.with_name(f"metrics-until-iteration-{resumed_step // model.steps_per_iteration}.csv"))
    loggers = build_loggers(cfg, callbacks, checkpoint if cfg.ckpt_path else None)  # a resume goes on in its W&B run
    max_steps = -1 if cfg.iterations is None else cfg.iterations * model.steps_per_iteration
    trainer = build(cfg.trainer, "the trainer", callbacks=callbacks, logger=loggers or False, max_steps=max_steps)
    resumed_iteration = 0 if resumed_step is None else resumed_step // model.steps_per_iteration
    model.iterations_per_step = iterations_per_step(cfg, len(datamodule.data) // (cfg.dataset.batch_size * trainer.world_size), model.n_critic, resumed_iteration)
    for logger in trainer.loggers:
        logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))

    started = time.perf_counter()
    status: dict = {"status": "ok"}
    try:
        trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.ckpt_path, weights_only=True)  # a resume loads no code
    except Divergence as error:  # a diverged run is a result, not a crash: sweeps go on
        status = {"status": "diverged", "error": str(error), "diverged_iteration": error.iteration,
                  "diverged_network": error.network, "diverged_term": error.term}  # fmt: skip
    seconds = time.perf_counter() - started
    stopped_by = next((c.received for c in callbacks if isinstance(c, GracefulStop) and c.received), None)
    if stopped_by is not None and status["status"] == "ok":
        status = {"status": "interrupted", "signal": stopped_by.name}
    if model.steps_at_start in (None, model.global_step) and status["status"] == "ok":
        status = {"status": "failed", "error": f"trained zero steps: {zero_steps_reason(cfg, model)}"}

    results = {**status, "iterations": model.iteration, "train_seconds": round(seconds, 2)}
    results |= model.last_terms
    for callback in callbacks:
        if isinstance(callback, PeriodicEvaluation):  # the scoring callbacks: their last scores
            results |= callback.results
    results = finite_or_null(results)
    if trainer.is_global_zero:
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "results.json").write_text(json.dumps(results, indent=2, allow_nan=False) + "\n")
    end_wandb_runs(trainer.loggers, results)  # each job its own W&B run: the next job starts a new one
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        # The next job of a multirun runs in this process with new rank processes: it needs a new
        # process group, not this one, whose peers have exited.
        torch.distributed.destroy_process_group()
    return results


def iterations_per_step(cfg: DictConfig, batches_per_pass: int, n_critic: int, resumed_iteration: int) -> int:
    """How many generator iterations one Lightning step runs: the largest number up to
    ``cfg.iterations_per_step`` with which the run computes the same numbers, bit for bit, at the
    same iterations. It divides every cadence that callbacks act on at a step's end (eval_every,
    checkpoint_every, trainer.log_every_n_steps, the budget, the iteration a resume starts from), so
    every evaluation, checkpoint, log line, stop and resume falls where it falls with 1, and its
    ``n_critic`` real batches per iteration divide a pass over the data (``batches_per_pass``), so
    the batches come in the same order. 1 where a callback acts after every iteration (ema,
    lr_decay) or on a fixed few batches (trainer.overfit_batches)."""
    if cfg.ema or cfg.lr_decay != "none" or cfg.trainer.get("overfit_batches"):
        return 1
    cadences = [cfg.iterations_per_step, cfg.eval_every, cfg.checkpoint_every, cfg.trainer.get("log_every_n_steps", 50), cfg.iterations or 0, resumed_iteration]
    most = math.gcd(*cadences)
    return next(k for k in range(most, 0, -1) if most % k == 0 and (k == 1 or batches_per_pass % (k * n_critic) == 0))


def zero_steps_reason(cfg: DictConfig, model) -> str:
    if cfg.ckpt_path and cfg.iterations is not None and model.iteration >= cfg.iterations:
        return f"ckpt_path is already at iteration {model.iteration}, the budget iterations={cfg.iterations}: raise iterations to train on"
    return "no batch reached the model (is every rank's share of the data smaller than dataset.batch_size?)"


def finite_or_null(results: dict) -> dict:
    """``results`` with every non-finite number replaced by null and named under "nonfinite"
    (JSON has no NaN: ``json.dumps`` would write an invalid file)."""
    bad = sorted(k for k, v in results.items() if isinstance(v, float) and not math.isfinite(v))
    if not bad:
        return results
    return {**{k: None if k in bad else v for k, v in results.items()}, "nonfinite": bad}


def summary(results: dict, output_dir: Path) -> str:
    """The few lines a person reads at the end of a run."""
    lines = [f"zoo: finished {results['iterations']} generator iterations in {results['train_seconds']:.0f} s"]
    if results["status"] in ("diverged", "failed"):
        lines = [f"zoo: the run {results['status']} ({results['error']}); results.json has status {results['status']}"]
    elif results["status"] == "interrupted":
        lines = [f"zoo: stopped by {results['signal']} after {results['iterations']} generator iterations; checkpoint saved"]
    if "val/fid" in results:
        scores = ", ".join(f"{name.removeprefix('val/')} {results[name]:.3f}" for name in ("val/fid", "val/kid", "val/is") if name in results)
        best = f" (best FID {results['val/fid_best']:.3f} at iteration {results['val/best_iteration']:.0f}: checkpoints/best.ckpt)" if "val/fid_best" in results else ""
        lines.append(f"  {scores}{best}")
    if results.get("val/modes") is not None and "val/hq_pct" not in results:  # Stacked MNIST: of 1,000
        lines.append(f"  modes covered {results['val/modes']:.0f} of {results.get('val/modes_total', 1000):.0f}, KL {results.get('val/kl', float('nan')):.3f}")
    elif results.get("val/modes") is not None:
        lines.append(
            f"  modes captured {results['val/modes']:.0f}, high-quality samples {results['val/hq_pct']:.1f}%, "
            f"reverse KL {results['val/reverse_kl']:.3f}"
        )
    lines += [
        f"  pictures:     {output_dir / 'samples'}",
        f"  results:      {output_dir / 'results.json'}",
        f"  checkpoint:   {output_dir / 'checkpoints' / 'last.ckpt'}",
    ]
    return "\n".join(lines)


def run(cfg: DictConfig) -> float | None:
    """``zoo-train`` on its composed config: one run, its summary, its exit code."""
    if cfg.threads is None:  # parallel sweep jobs share the cores instead of each taking all
        cfg.threads = threads_per_job()
    with as_single_run():  # DDP's other ranks start this job, not the sweep again
        results = train(cfg, overrides=list(HydraConfig.get().overrides.task))
    output_dir = Path(cfg.paths.output_dir)
    if rank_zero_only.rank == 0:  # under DDP every rank returns here; one summary is enough
        print(summary(results, output_dir))
    hydra = HydraConfig.get()
    multirun = hydra.mode == RunMode.MULTIRUN
    if multirun and not (results["status"] == "interrupted" and stops_with_its_job(hydra)):
        return objective(results, cfg.optimized_metric)  # the sweep goes on; summary.md and its exit code count this job
    if results["status"] == "interrupted":
        signum = signal.Signals[results["signal"]]
        print(
            f"zoo: interrupted by {signum.name} at iteration {results['iterations']}; resume with: "
            f"python -m zoo.train ckpt_path={output_dir / 'checkpoints' / 'last.ckpt'} (it goes on with the run's own settings)",
            file=sys.stderr,
        )
        if multirun:  # the signal asked the process to end: no further job starts (zoo.sweep)
            raise SweepStopped(signum, hydra.sweep.dir)
        sys.exit(128 + signum)
    if results["status"] == "failed":
        sys.exit(1)
    return objective(results, cfg.optimized_metric)


def objective(results: dict, key: str | None) -> float | None:
    """What the run returns to a sweeper that optimises (``optimized_metric``): the result ``key``;
    for a run that did not finish, the worst value (zoo.cli.failed_objective)."""
    if key is None:
        return None
    if results["status"] != "ok" or results.get(key, 0) is None:
        return failed_objective()
    if key not in results:
        known = ", ".join(sorted(name for name, value in results.items() if isinstance(value, (int, float)) and not isinstance(value, bool)))
        raise ConfigError(f"optimized_metric={key} is not a result of this run; choose one of: {known}")
    return float(results[key])
