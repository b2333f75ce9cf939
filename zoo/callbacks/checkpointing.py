"""``last.ckpt`` during training, written so that a kill at any moment leaves a whole checkpoint.

Lightning's ModelCheckpoint writes "last" only after a top-k save and straight under its final
name; a run killed before its end kept nothing, and a full disk left a truncated file. Here every
write goes to a temporary file in the same folder, is flushed to disk (fsync), and then renamed
over the previous checkpoint: a rename within one filesystem is atomic, so readers see the old
file or the new one, never a part. The folder is fsynced too, so the rename itself survives a
power cut.
"""

from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Checkpoint

from zoo.atomic import write_atomically


def save_atomically(trainer: L.Trainer, path: Path) -> None:
    """``trainer.save_checkpoint`` to ``path`` through zoo.atomic: collective under DDP (every rank
    calls it; rank 0 writes). On failure the previous ``path`` is left as it was."""
    if trainer.is_global_zero:
        write_atomically(Path(path), lambda tmp: trainer.save_checkpoint(tmp, weights_only=False))  # the whole state
    else:
        trainer.save_checkpoint(path, weights_only=False)  # a collective call; only rank 0 writes
    trainer.strategy.barrier()


class PeriodicCheckpoint(Checkpoint):
    """Writes ``<dirpath>/last.ckpt`` every ``every_n_iters`` generator iterations and when
    training ends (also when a signal ends it early), atomically (see the module docstring).

    Before each write the model's divergence flag is checked (``GANModule.check_finite``): a
    checkpoint is never written with non-finite weights, so after a divergence ``last.ckpt`` is
    the last good state. A Lightning ``Checkpoint``, so it runs after the scoring callbacks at the
    same step and the checkpoint holds their latest state.
    """

    def __init__(self, dirpath: str, every_n_iters: int = 500, enabled: bool = True):
        if every_n_iters < 1:
            raise ValueError(f"checkpoint_every must be a positive number of generator iterations, got {every_n_iters}")
        self.dirpath, self.every_n_iters, self.enabled = Path(dirpath), every_n_iters, enabled
        self._last_saved = -1

    @property
    def path(self) -> Path:
        return self.dirpath / "last.ckpt"

    def save(self, trainer: L.Trainer, pl_module) -> None:
        pl_module.check_finite()
        save_atomically(trainer, self.path)
        self._last_saved = pl_module.global_step

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.enabled and pl_module.between_iterations and pl_module.iteration % self.every_n_iters == 0 and pl_module.global_step != self._last_saved:
            self.save(trainer, pl_module)

    def on_train_end(self, trainer, pl_module) -> None:
        if self.enabled and pl_module.global_step != self._last_saved:
            self.save(trainer, pl_module)
