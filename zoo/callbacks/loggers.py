"""Sending pictures and numbers to every logger of a run, from any callback hook."""

import lightning as L
import numpy as np
from lightning.pytorch.loggers import TensorBoardLogger, WandbLogger


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
