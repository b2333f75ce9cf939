"""Draw samples from a trained generator: ``python -m zoo.sample ckpt_path=<ckpt> n=2500 out=<file>``.

``out`` ending in .npy gets the raw samples in data space: (n, 2) floats for 2-D data, (n, C, H, W)
in [-1, 1] for images. ``out`` ending in .png gets a picture: a scatter plot over the true modes for
2-D data (with the mode metrics printed), an image grid for images.

The checkpoint carries its run's resolved config (zoo.callbacks.StoreConfig), so it is enough to
rebuild the model wherever it has been moved.
"""

import math
import sys
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf

from zoo.callbacks import ema_generator_state
from zoo.cli import fail
from zoo.errors import ConfigError
from zoo.factory import build, build_datamodule
from zoo.metrics.modes import mode_metrics
from zoo.plots import save_image_grid, scatter_over_modes

DEFAULTS = {"ckpt_path": None, "n": 2500, "out": "samples.png", "seed": 0, "device": "cpu", "ema": None}
FORMATS = (".npy", ".png")


def load_generator(ckpt_path: str | Path, device: str = "cpu", ema: bool | None = None):
    """(model in eval mode, its run config) rebuilt from a zoo checkpoint.

    ``ema``: load the EMA generator the run kept (``ema: true`` in training) into the model; None
    does so when the checkpoint has one, true refuses a checkpoint without one, false never does.
    """
    path = Path(ckpt_path)
    if not path.is_file():
        raise ConfigError(f"ckpt_path={ckpt_path} does not exist")
    try:
        checkpoint = torch.load(path, map_location=device, weights_only=False)
    except Exception as error:  # torch raises several types for truncated or foreign files
        raise ConfigError(f"ckpt_path={ckpt_path} is not a readable checkpoint ({type(error).__name__}: {error})") from error
    if not isinstance(checkpoint, dict) or "zoo_config" not in checkpoint:
        raise ConfigError(f"ckpt_path={ckpt_path} is not a zoo checkpoint (it carries no run config)")
    cfg = OmegaConf.create(checkpoint["zoo_config"])
    model = build(cfg.model, "the model")
    model.load_state_dict(checkpoint["state_dict"])
    averaged = ema_generator_state(checkpoint)
    if ema and averaged is None:
        raise ConfigError(f"ckpt_path={ckpt_path} holds no EMA generator (train with ema=true), so ema=true cannot be met; use ema=false")
    if averaged is not None and ema is not False:
        model.generator.load_state_dict(averaged)
    return model.to(device).eval(), cfg


def sample(ckpt_path: str, n: int, out: str, seed: int = 0, device: str = "cpu", ema: bool | None = None) -> dict:
    """Write ``n`` samples to ``out``; returns mode metrics for 2-D data, else {}."""
    out_path = Path(out)
    if out_path.suffix not in FORMATS:
        raise ConfigError(f"out={out} has an unknown format; choose a file ending in {' or '.join(FORMATS)}")
    if n <= 0:
        raise ConfigError(f"n must be a positive number of samples, got {n}")
    model, cfg = load_generator(ckpt_path, device, ema)
    samples = model.sample(n, seed=seed).cpu()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    metrics = {}
    if cfg.dataset.kind == "points":
        datamodule = build_datamodule(cfg, load=False)
        metrics = mode_metrics(samples, datamodule.modes, datamodule.sigma)
    if out_path.suffix == ".npy":
        np.save(out_path, samples.numpy())
    elif cfg.dataset.kind == "points":
        title = f"{n} samples: {metrics['modes']}/{len(datamodule.modes)} modes, {metrics['hq_pct']:.1f}% HQ"
        scatter_over_modes(samples, datamodule.modes, datamodule.sigma, out_path, title)
    else:
        save_image_grid(samples, out_path, nrow=math.ceil(math.sqrt(n)))
    return metrics


def main(argv: list[str] | None = None) -> None:
    try:
        args = OmegaConf.merge(OmegaConf.create(DEFAULTS), OmegaConf.from_cli(sys.argv[1:] if argv is None else argv))
        unknown = sorted(set(args) - set(DEFAULTS))
        if unknown:
            raise ConfigError(f"unknown argument {unknown[0]}; valid: {', '.join(DEFAULTS)}")
        if args.ckpt_path is None:
            raise ConfigError("give ckpt_path=<checkpoint>, e.g. outputs/train/<run>/checkpoints/last.ckpt")
        metrics = sample(args.ckpt_path, int(args.n), args.out, int(args.seed), args.device, args.ema)
    except ConfigError as error:
        fail(str(error))
    extra = "".join(f", {k} {v:.3g}" for k, v in metrics.items())
    print(f"zoo: wrote {args.n} samples to {args.out}{extra}")


if __name__ == "__main__":
    main()
