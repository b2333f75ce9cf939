"""Train one GAN run: ``python -m zoo.train [group=option ...] [key=value ...]``.

``train(cfg)`` is the whole job and returns the run's results; ``main`` is the thin Hydra wrapper
that composes the config from conf/ and turns bad input into one line and a non-zero exit.

A finished run leaves in its run dir: results.json (flat metric -> number, "status": "ok"),
checkpoints/last.ckpt, samples/*.png and the resolved config in .hydra/. A run whose losses turn
non-finite stops there and says "status": "diverged" (with the error) instead.
"""

import json
import os
import sys
import time
from pathlib import Path

import hydra
import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_only
from omegaconf import DictConfig, OmegaConf

from zoo.callbacks import StoreConfig
from zoo.checks import check_config
from zoo.cli import CONFIG_DIR, check_group_choices, fail
from zoo.errors import ConfigError
from zoo.factory import build, build_datamodule


def train(cfg: DictConfig) -> dict:
    """Check, build and fit one run; write and return its results (see module docstring)."""
    check_config(cfg)
    if cfg.trainer.accelerator == "cpu":
        # With a CUDA build of torch on a machine without a GPU, every optimizer step asks NVML
        # for the device count (a dlopen, ~0.25 ms); an empty CUDA_VISIBLE_DEVICES answers at once.
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    if cfg.get("threads"):
        torch.set_num_threads(cfg.threads)
    output_dir = Path(cfg.paths.output_dir)

    datamodule = build_datamodule(cfg)
    model = build(cfg.model, "the model")
    callbacks = [build(node, f"callbacks.{name}") for name, node in cfg.callbacks.items() if node is not None]
    callbacks.append(StoreConfig(cfg))
    loggers = [build(node, f"logger.{name}") for name, node in (cfg.logger or {}).items() if node is not None]
    max_steps = -1 if cfg.iterations is None else cfg.iterations * model.steps_per_iteration
    trainer = build(cfg.trainer, "the trainer", callbacks=callbacks, logger=loggers or False, max_steps=max_steps)
    for logger in trainer.loggers:
        logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))

    started = time.perf_counter()
    status = {"status": "ok"}
    try:
        trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.ckpt_path)
    except FloatingPointError as error:  # a diverged run is a result, not a crash: sweeps go on
        status = {"status": "diverged", "error": str(error)}
    seconds = time.perf_counter() - started

    results = {**status, "iterations": model.iteration, "train_seconds": round(seconds, 2)}
    results |= {name: float(value) for name, value in trainer.callback_metrics.items() if name.startswith("train/")}
    for callback in callbacks:
        results |= getattr(callback, "results", {})
    if trainer.is_global_zero:
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


def summary(results: dict, output_dir: Path) -> str:
    """The few lines a person reads at the end of a run."""
    lines = [f"zoo: finished {results['iterations']} generator iterations in {results['train_seconds']:.0f} s"]
    if results["status"] != "ok":
        lines = [f"zoo: the run diverged ({results['error']}); results.json has status {results['status']}"]
    if "val/fid" in results:
        scores = ", ".join(f"{name.removeprefix('val/')} {results[name]:.3f}" for name in ("val/fid", "val/kid", "val/is") if name in results)
        best = f" (best FID {results['val/fid_best']:.3f} at iteration {results['val/best_iteration']:.0f}: checkpoints/best.ckpt)" if "val/fid_best" in results else ""
        lines.append(f"  {scores}{best}")
    if "val/modes" in results:
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


@hydra.main(config_path=str(CONFIG_DIR), config_name="train", version_base="1.3")
def _hydra_main(cfg: DictConfig) -> None:
    try:
        results = train(cfg)
    except ConfigError as error:
        fail(str(error))
    if rank_zero_only.rank == 0:  # under DDP every rank returns here; one summary is enough
        print(summary(results, Path(cfg.paths.output_dir)))


def main() -> None:
    check_group_choices(sys.argv[1:])
    _hydra_main()


if __name__ == "__main__":
    main()
