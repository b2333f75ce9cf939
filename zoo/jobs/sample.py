"""The work of ``zoo-sample`` (zoo/sample.py is the command and says what it does)."""

import math

import numpy as np
from omegaconf import DictConfig

from zoo.checkpoint import load_generator
from zoo.cli import writable_output
from zoo.data.mixtures import GaussianMixture
from zoo.errors import ConfigError
from zoo.factory import build
from zoo.metrics.modes import mode_metrics
from zoo.plots import save_image_grid, scatter_over_modes

FORMATS = (".npy", ".png")


def sample(ckpt_path: str, n: int, out: str, seed: int = 0, device: str = "cpu", ema: bool | None = None, overwrite: bool = False) -> dict:
    """Write ``n`` samples to ``out``; returns mode metrics for 2-D data, else {}."""
    if not out.endswith(FORMATS):
        raise ConfigError(f"out={out} has an unknown format; choose a file ending in {' or '.join(FORMATS)}")
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ConfigError(f"n must be a positive whole number of samples, got {n}")
    out_path = writable_output(out, overwrite)
    model, cfg = load_generator(ckpt_path, device, ema)
    samples = model.sample(n, seed=seed).cpu()
    datamodule = build(cfg.dataset, "the dataset")  # nothing is read: a mixture knows its modes
    metrics = {}
    if isinstance(datamodule, GaussianMixture):
        metrics = mode_metrics(samples, datamodule.modes, datamodule.sigma)
    if out_path.suffix == ".npy":
        np.save(out_path, samples.numpy())
    elif isinstance(datamodule, GaussianMixture):
        title = f"{n} samples: {metrics['modes']}/{len(datamodule.modes)} modes, {metrics['hq_pct']:.1f}% HQ"
        scatter_over_modes(samples, datamodule.modes, datamodule.sigma, out_path, title)
    else:
        save_image_grid(samples, out_path, nrow=math.ceil(math.sqrt(n)))
    return metrics


def run(cfg: DictConfig) -> None:
    """``zoo-sample`` on its composed config."""
    metrics = sample(cfg.ckpt_path, cfg.n, cfg.out, cfg.seed, cfg.device, cfg.ema, cfg.overwrite)
    extra = "".join(f", {k} {v:.3g}" for k, v in metrics.items())
    print(f"zoo: wrote {cfg.n} samples to {cfg.out}{extra}")
