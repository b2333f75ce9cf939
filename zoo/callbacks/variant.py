"""A variant's own scores and pictures during training, on a held split of the data."""

from hydra.utils import get_class
from omegaconf import DictConfig

from zoo.callbacks.loggers import log_picture
from zoo.callbacks.periodic import PeriodicEvaluation
from zoo.metrics.reference import split_datamodule
from zoo.plots import save_picture


class HeldSplit:
    """A data module of a held split, read on first use of its ``data`` or ``labels``: a variant
    without scores of its own never reads it. ``kind`` is declared by the class, so free."""

    def __init__(self, datamodule):
        self.datamodule, self.kind = datamodule, datamodule.kind

    def loaded(self):
        if self.datamodule.data is None:
            self.datamodule.prepare_data()
            self.datamodule.setup()
        return self.datamodule

    @property
    def data(self):
        return self.loaded().data

    @property
    def labels(self):
        return self.loaded().labels


class VariantEvaluation(PeriodicEvaluation):
    """The variant's own scores and pictures (``GANModule.evaluate``): InfoGAN's matched accuracy,
    BiGAN's probes, a reconstruction error, a traversal grid. Idle for variants that define none.

    The variant scores ``split`` of the data set ``dataset`` (test by default, the split the
    papers' tables use), read once on first use (never, for a variant without scores); a data set
    without splits (the mixtures, digits, image folders) is scored on its training data, split
    "all". Which split the numbers come from goes into the results as ``val/variant_split``.
    Without ``dataset``, the training data.
    """

    def __init__(self, dirpath: str, every_n_iters: int = 500, dataset: DictConfig | None = None, split: str = "test"):
        super().__init__(dirpath, every_n_iters)
        self.held, self.split = None, "all"
        if dataset is not None and get_class(dataset._target_).splits:
            # Built, not read, now: a split the data set lacks is refused before the first step.
            datamodule, self.split = split_datamodule(dataset, split)
            self.held = HeldSplit(datamodule)

    def compute(self, trainer, pl_module) -> dict[str, float]:
        metrics, pictures = pl_module.evaluate(self.held or trainer.datamodule)
        for name, picture in pictures.items():
            save_picture(picture, self.dirpath / f"{name}_{pl_module.iteration:06d}.png")
            log_picture(trainer, name, picture)
        return {f"val/{name}": float(value) for name, value in metrics.items()}

    def evaluate(self, trainer, pl_module) -> None:
        super().evaluate(trainer, pl_module)
        if self.results:  # beside the numbers in results.json, not logged (loggers take numbers)
            self.results = {**self.results, "val/variant_split": self.split}
