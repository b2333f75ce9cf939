"""float16 loss scaling, watched: a run whose every step is skipped stops, as diverged.

Under fp16 (``precision=fp16`` on GPUs, ``precision=fp16_cpu``) Lightning's precision plugin scales
every loss by one ``torch.amp.GradScaler`` before backward, and after each optimizer step unscales
that optimizer's gradients, skips the step if they are not finite and halves the scale (doubling
it after 2,000 steps without a skip). The weights stay finite, so the model's own watch
(``GANModule.check_finite``) sees nothing: a run whose gradients overflow at step after step would
go on with frozen networks and end with status ok. Each skipped step halves the scale, so such a
run is a scale that falls and keeps falling; this callback stops it there.
"""

import lightning as L
from lightning.pytorch.plugins import MixedPrecision

from zoo.errors import Divergence


class LossScaleCollapse(Divergence):
    """The fp16 loss scale fell below its floor: the gradients overflowed float16 at step after
    step and the GradScaler skipped each of those steps. A result (status "diverged"), like any
    divergence."""

    def __init__(self, iteration: int, scale: float, min_scale: float):
        super().__init__(iteration, "networks", "the fp16 loss scale")
        self.args = (
            f"the fp16 loss scale fell to {scale:g}, below callbacks.loss_scale.min_scale={min_scale:g}, at iteration "
            f"{iteration}: the gradients were non-finite at step after step, and every such step was skipped",
        )


class LossScaleWatch(L.Callback):
    """Raises ``LossScaleCollapse`` when the GradScaler's scale is below ``min_scale``.

    Read at the model's logging iterations (every ``trainer.log_every_n_steps`` generator
    iterations, and the last), where the model already waits for the device; no step waits for it.
    Idle without a scaler (fp32, bf16). Under DDP every rank's scaler sees the same all-reduced
    gradients, so every rank has the same scale and all stop at the same iteration.

    Args:
        min_scale: the floor. The scale starts at 2^16; a scale below 1 means that even the
            unscaled gradients overflowed float16 (17 halvings in a row from the start).
    """

    def __init__(self, min_scale: float = 1.0):
        self.min_scale = min_scale

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        plugin = trainer.precision_plugin
        if not (isinstance(plugin, MixedPrecision) and plugin.scaler is not None and pl_module.between_iterations):
            return
        if not pl_module.at_logging_iteration:
            return
        scale = plugin.scaler.get_scale()
        if scale < self.min_scale:
            raise LossScaleCollapse(pl_module.iteration, scale, self.min_scale)
