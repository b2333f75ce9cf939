"""A progress bar that counts what the budget counts: generator iterations, not batches of an epoch
(with n_critic 5, six batches make one iteration, and an epoch says nothing about the budget)."""

import math

from lightning.pytorch.callbacks import TQDMProgressBar


class IterationProgressBar(TQDMProgressBar):
    """Lightning's tqdm bar over the whole run: ``iteration`` of ``iterations`` (or of the epoch
    budget's iterations), the latest logged metrics beside it."""

    def on_train_start(self, trainer, pl_module) -> None:
        super().on_train_start(trainer, pl_module)
        steps = pl_module.budget_steps
        total = None if math.isinf(steps) else int(steps) // pl_module.steps_per_iteration
        self.train_progress_bar.reset(total=total)
        self.train_progress_bar.initial = pl_module.iteration  # a resumed run starts where it was
        self.train_progress_bar.set_description("iterations")

    def on_train_epoch_start(self, trainer, *_) -> None:
        pass  # one bar for the whole budget

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        bar, iteration = self.train_progress_bar, pl_module.iteration
        if bar is not None and iteration != bar.n and self._should_update(iteration, bar.total):
            bar.n = iteration
            bar.set_postfix(pl_module.last_terms_short())
            bar.refresh()

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        pass  # the bar closes when training ends
