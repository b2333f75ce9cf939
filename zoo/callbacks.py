"""Lightning callbacks that watch a GAN train: pictures, mode coverage, config in checkpoints.

Callbacks that produce end-of-run numbers expose them as ``results`` (a flat dict); ``zoo.train``
collects those into results.json.
"""

from pathlib import Path

import lightning as L
import numpy as np
from lightning.pytorch.loggers import TensorBoardLogger, WandbLogger
from omegaconf import DictConfig, OmegaConf

from zoo.metrics.modes import mode_metrics
from zoo.plots import save_image_grid, save_picture, scatter_over_modes


def log_picture(trainer: L.Trainer, key: str, picture: np.ndarray) -> None:
    """Send an (H, W, 3) uint8 picture to every logger that stores pictures (CSV does not; the
    PNG in samples/ is its copy)."""
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.experiment.add_image(key, picture, trainer.global_step, dataformats="HWC")
        elif isinstance(logger, WandbLogger):
            logger.log_image(key=key, images=[picture], step=trainer.global_step)


def log_metrics(trainer: L.Trainer, metrics: dict[str, float]) -> None:
    """Write metrics straight to every logger (works in hooks where ``self.log`` is not allowed)."""
    for logger in trainer.loggers:
        logger.log_metrics(metrics, step=trainer.global_step)


class StoreConfig(L.Callback):
    """Puts the resolved run config into every checkpoint, so a checkpoint alone rebuilds its model
    (``python -m zoo.sample ckpt_path=...``) even after it is moved away from its run dir."""

    def __init__(self, config: DictConfig | dict):
        self.config = OmegaConf.to_container(config, resolve=True) if isinstance(config, DictConfig) else config

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict) -> None:
        checkpoint["zoo_config"] = self.config


class SampleGrid(L.Callback):
    """Every ``every_n_epochs`` epochs and at the end, a grid of the fixed-noise samples goes to
    ``<dirpath>/epoch_XXX.png`` (and ``final.png``) and to the loggers. Images only."""

    def __init__(self, dirpath: str, every_n_epochs: int = 1, nrow: int = 8):
        self.dirpath, self.every_n_epochs, self.nrow = Path(dirpath), every_n_epochs, nrow
        self.results: dict[str, float] = {}

    def _save(self, trainer, pl_module, name: str) -> None:
        if len(trainer.datamodule.shape) != 3 or not trainer.is_global_zero:  # points: see ModeCoverage
            return
        images = pl_module.sample(z=pl_module.fixed_noise)
        log_picture(trainer, "samples", save_image_grid(images, self.dirpath / f"{name}.png", self.nrow))

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self._save(trainer, pl_module, f"epoch_{trainer.current_epoch:03d}")

    def on_train_end(self, trainer, pl_module) -> None:
        self._save(trainer, pl_module, "final")


class PeriodicEvaluation(L.Callback):
    """Runs ``compute`` every ``every_n_iters`` generator iterations and once more at the end of
    training, logs what it returns and keeps the last result as ``results`` (rank 0 only)."""

    def __init__(self, dirpath: str, every_n_iters: int = 500):
        self.dirpath, self.every_n_iters = Path(dirpath), every_n_iters
        self.results: dict[str, float] = {}
        self._last_iteration = -1

    def compute(self, trainer, pl_module) -> dict[str, float]:
        raise NotImplementedError

    def evaluate(self, trainer, pl_module) -> None:
        self._last_iteration = pl_module.iteration
        if not trainer.is_global_zero:
            return
        metrics = self.compute(trainer, pl_module)
        if metrics:
            log_metrics(trainer, metrics)
            self.results = metrics

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        iteration = pl_module.iteration
        if iteration > 0 and iteration % self.every_n_iters == 0 and iteration != self._last_iteration:
            self.evaluate(trainer, pl_module)

    def on_train_end(self, trainer, pl_module) -> None:
        if pl_module.iteration != self._last_iteration:
            self.evaluate(trainer, pl_module)


class ModeCoverage(PeriodicEvaluation):
    """Mode metrics (zoo.metrics.modes) of ``n_samples`` generator samples, with a scatter plot
    over the true modes each time. Needs a data module with ``modes`` and ``sigma`` (the 2-D
    mixtures); idle otherwise.

    The same noise (``seed``) is used at every evaluation, so the curve tracks the generator and
    not the draw.
    """

    def __init__(self, dirpath: str, every_n_iters: int = 500, n_samples: int = 2500, seed: int = 1234):
        super().__init__(dirpath, every_n_iters)
        self.n_samples, self.seed = n_samples, seed

    def compute(self, trainer, pl_module) -> dict[str, float]:
        datamodule = trainer.datamodule
        if not hasattr(datamodule, "modes"):
            return {}
        iteration = pl_module.iteration
        samples = pl_module.sample(self.n_samples, seed=self.seed)
        scores = mode_metrics(samples, datamodule.modes, datamodule.sigma)
        title = f"iteration {iteration}: {scores['modes']}/{len(datamodule.modes)} modes, {scores['hq_pct']:.1f}% HQ"
        picture = scatter_over_modes(samples, datamodule.modes, datamodule.sigma, self.dirpath / f"iter_{iteration:06d}.png", title)
        log_picture(trainer, "scatter", picture)
        return {f"val/{name}": float(value) for name, value in scores.items()}


class VariantEvaluation(PeriodicEvaluation):
    """The variant's own scores and pictures (``GANModule.evaluate``): InfoGAN's matched accuracy,
    a reconstruction error, a traversal grid. Idle for variants that define none."""

    def compute(self, trainer, pl_module) -> dict[str, float]:
        pictures: dict[str, np.ndarray] = {}
        metrics = pl_module.evaluate(trainer.datamodule, pictures)
        for name, picture in pictures.items():
            save_picture(picture, self.dirpath / f"{name}_{pl_module.iteration:06d}.png")
            log_picture(trainer, name, picture)
        return {f"val/{name}": float(value) for name, value in metrics.items()}
