"""Grids of the generator's samples during training."""

from pathlib import Path

import lightning as L

from zoo.callbacks.loggers import log_picture
from zoo.plots import save_image_grid


class SampleGrid(L.Callback):
    """Every ``every_n_epochs`` epochs and at the end, a grid of the fixed-noise samples goes to
    ``<dirpath>/epoch_XXX.png`` (and ``final.png``) and to the loggers. Images only (2-D points
    get their scatter plots from ModeCoverage)."""

    def __init__(self, dirpath: str, every_n_epochs: int = 1, nrow: int = 8):
        self.dirpath, self.every_n_epochs, self.nrow = Path(dirpath), every_n_epochs, nrow

    def _save(self, trainer, pl_module, name: str) -> None:
        if trainer.datamodule.kind != "images" or not trainer.is_global_zero:
            return
        images = pl_module.sample(z=pl_module.fixed_noise)
        log_picture(trainer, "samples", save_image_grid(images, self.dirpath / f"{name}.png", self.nrow))

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self._save(trainer, pl_module, f"epoch_{trainer.current_epoch:03d}")

    def on_train_end(self, trainer, pl_module) -> None:
        self._save(trainer, pl_module, "final")
