"""A variant's own scores and pictures during training."""

from zoo.callbacks.loggers import log_picture
from zoo.callbacks.periodic import PeriodicEvaluation
from zoo.plots import save_picture


class VariantEvaluation(PeriodicEvaluation):
    """The variant's own scores and pictures (``GANModule.evaluate``): InfoGAN's matched accuracy,
    a reconstruction error, a traversal grid. Idle for variants that define none."""

    def compute(self, trainer, pl_module) -> dict[str, float]:
        metrics, pictures = pl_module.evaluate(trainer.datamodule)
        for name, picture in pictures.items():
            save_picture(picture, self.dirpath / f"{name}_{pl_module.iteration:06d}.png")
            log_picture(trainer, name, picture)
        return {f"val/{name}": float(value) for name, value in metrics.items()}
