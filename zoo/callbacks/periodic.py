"""The schedule every scoring callback shares: every few generator iterations, and at the end."""

from pathlib import Path

import lightning as L

from zoo import rng
from zoo.callbacks.loggers import log_metrics


class PeriodicEvaluation(L.Callback):
    """Runs ``compute`` every ``every_n_iters`` generator iterations and once more at the end of
    training, logs what it returns and keeps the last result as ``results`` (zoo.train collects
    every callback's ``results`` into results.json).

    ``compute`` runs on rank 0 only, unless a subclass sets ``every_rank`` (its computation is
    collective, as torchmetrics' merged metrics are); logging is rank 0's either way.
    """

    every_rank = False

    def __init__(self, dirpath: str, every_n_iters: int = 500):
        self.dirpath, self.every_n_iters = Path(dirpath), every_n_iters
        self.results: dict[str, float] = {}
        self._last_iteration = -1

    def compute(self, trainer, pl_module) -> dict[str, float]:
        raise NotImplementedError

    def evaluate(self, trainer, pl_module) -> None:
        self._last_iteration = pl_module.iteration
        if not (trainer.is_global_zero or self.every_rank):
            return
        with rng.untouched(pl_module.device):  # how often a run is evaluated never changes its training
            metrics = self.compute(trainer, pl_module)
        if metrics and trainer.is_global_zero:
            log_metrics(trainer, metrics)
            self.results = metrics

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        iteration = pl_module.iteration
        if iteration > 0 and iteration % self.every_n_iters == 0 and iteration != self._last_iteration:
            self.evaluate(trainer, pl_module)

    def on_train_end(self, trainer, pl_module) -> None:
        if pl_module.iteration != self._last_iteration:
            self.evaluate(trainer, pl_module)
