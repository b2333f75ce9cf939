"""A progress bar that counts what the budget counts: generator iterations, not batches of an epoch
(with n_critic 5, six batches make one iteration, and an epoch says nothing about the budget)."""

from lightning.pytorch.callbacks import TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import convert_inf


class IterationProgressBar(TQDMProgressBar):
    """Lightning's tqdm bar over the whole run: ``iteration`` of ``iterations`` (or of the epoch
    budget's iterations), the latest logged metrics beside it."""

    def on_train_start(self, trainer, pl_module) -> None:
        super().on_train_start(trainer, pl_module)
        if trainer.max_steps > 0:
            total = trainer.max_steps // pl_module.steps_per_iteration
        else:  # an epoch budget: every n_critic-th real batch ends an iteration
            steps = convert_inf(self.total_train_batches)
            total = None if steps is None else trainer.max_epochs * steps * pl_module.batches_per_step // pl_module.n_critic
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
