"""The work of ``zoo-fdiv`` (zoo/fdiv.py is the command and says what it does)."""

import json
import math
import os
import time
from pathlib import Path

import torch
from omegaconf import DictConfig

from zoo.errors import ConfigError
from zoo.losses import f_divergence
from zoo.metrics.divergences import Gaussian, critic, fit_critic, held_out_bound, true_divergence


def gaussian(node: DictConfig, name: str) -> Gaussian:
    """The Gaussian ``{mean, std}`` of the config node ``name``, refused if its std is not > 0."""
    if not node.std > 0:
        raise ConfigError(f"{name}.std must be a number > 0, got {node.std}")
    return Gaussian(float(node.mean), float(node.std))


def fdiv(cfg: DictConfig) -> dict:
    """Train the critic, estimate the divergence, write results.json in the run dir and return it."""
    divergence = f_divergence(cfg.divergence)
    for key in ("steps", "batch_size", "eval_samples", "hidden"):
        if not (isinstance(cfg[key], int) and cfg[key] >= 1):
            raise ConfigError(f"{key} must be a whole number >= 1, got {cfg[key]}")
    if not cfg.lr > 0:
        raise ConfigError(f"lr must be a number > 0, got {cfg.lr}")
    p, q = gaussian(cfg.p, "p"), gaussian(cfg.q, "q")
    torch.set_num_threads(cfg.threads)
    started = time.perf_counter()
    true_value = true_divergence(cfg.divergence, p, q)
    torch.manual_seed(cfg.seed)  # the critic's initial weights
    training, held_out = torch.Generator().manual_seed(2 * cfg.seed), torch.Generator().manual_seed(2 * cfg.seed + 1)
    model = critic(cfg.hidden)
    last_batch = fit_critic(model, divergence, p, q, cfg, training)
    estimate, standard_error = held_out_bound(model, divergence, p, q, cfg.eval_samples, held_out)
    finite = math.isfinite(estimate) and math.isfinite(standard_error)  # a critic blown up to inf or nan has no estimate
    results = {
        "status": "ok" if finite else "diverged",
        "divergence": cfg.divergence,
        "estimate": estimate if finite else None,
        "estimate_stderr": standard_error if finite else None,
        "true_value": true_value,
        "rel_error_pct": 100 * abs(estimate - true_value) / abs(true_value) if finite and true_value else None,
        "last_batch_bound": last_batch if math.isfinite(last_batch) else None,
        "eval_samples": cfg.eval_samples,
        "seconds": round(time.perf_counter() - started, 2),
    }
    output_dir = Path(cfg.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "results.json").write_text(json.dumps(results, indent=2, allow_nan=False) + "\n")
    return results


def run(cfg: DictConfig) -> None:
    """``zoo-fdiv`` on its composed config."""
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # a CPU job: no CUDA start-up
    r = fdiv(cfg)
    if r["status"] != "ok":
        print(f"zoo: {r['divergence']}: the critic diverged (its bound is not finite); results.json has status diverged")
        return
    print(
        f"zoo: {r['divergence']}: estimate {r['estimate']:.4f} +- {r['estimate_stderr']:.4f} (held-out, {r['eval_samples']:,} draws), "
        f"true {r['true_value']:.4f}, error {r['rel_error_pct']:.2f}% in {r['seconds']:.0f} s: {Path(cfg.output_dir) / 'results.json'}"
    )
