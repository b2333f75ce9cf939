"""Sending pictures and numbers to every logger of a run, from any callback hook.

Everything goes out at Lightning's ``global_step`` (every optimizer step) with the generator
iteration beside it as trainer/iteration (zoo.metrics.names.ITERATION): a CSV column, a TensorBoard
scalar, and the x-axis of every W&B chart.
"""

import lightning as L
import numpy as np
from lightning.pytorch.loggers import TensorBoardLogger, WandbLogger
from zoo.metrics.names import ITERATION



def log_picture(trainer: L.Trainer, key: str, picture: np.ndarray) -> None:
    """Send an (H, W, 3) uint8 picture to every logger that stores pictures (CSV does not; the
    PNG in samples/ is its copy)."""
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.experiment.add_image(key, picture, trainer.global_step, dataformats="HWC")
        elif isinstance(logger, WandbLogger):
            from wandb import Image  # here: importing wandb takes a while, and most runs log elsewhere

            # One row with its iteration (log_image would leave W&B to fill in the last one logged).
            logger.log_metrics({key: Image(picture), ITERATION: trainer.lightning_module.iteration}, step=trainer.global_step)


def log_metrics(trainer: L.Trainer, metrics: dict[str, float]) -> None:
    """Write metrics straight to every logger (works in hooks where ``self.log`` is not allowed),
    with the generator iteration beside them."""
    metrics = {**metrics, ITERATION: trainer.lightning_module.iteration}
    for logger in trainer.loggers:
        logger.log_metrics(metrics, step=trainer.global_step)
