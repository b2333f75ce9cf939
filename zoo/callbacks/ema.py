"""An exponential moving average of the generator, kept in every checkpoint."""

import lightning as L
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from zoo.checkpoint import EMA_STATE_KEY
from zoo.errors import ConfigError


class EMAGenerator(L.Callback):
    """An exponential moving average of the generator's weights (and batch-norm statistics),
    updated after every generator step: the generator that is evaluated and sampled in many GAN
    papers (Karras et al. 2018; Yazici et al. 2019). Built on torch.optim.swa_utils.AveragedModel.

    The average is stored in every checkpoint (this callback's state, under
    zoo.checkpoint.EMA_STATE_KEY), so ``python -m zoo.eval`` can score it and a resumed run
    continues it. Idle when ``enabled`` is false.
    """

    def __init__(self, decay: float = 0.999, enabled: bool = True):
        if not 0.0 < decay < 1.0:
            raise ConfigError(f"ema_decay must lie in (0, 1), got {decay}")
        self.decay, self.enabled = decay, enabled
        self.average: AveragedModel | None = None
        self._restored: dict | None = None
        self._last_iteration = 0

    @property
    def state_key(self) -> str:
        """Where Lightning keeps this callback's state in a checkpoint: a fixed key, which
        zoo.checkpoint reads the EMA generator from."""
        return EMA_STATE_KEY

    @property
    def generator(self) -> nn.Module | None:
        """The averaged generator (None before training starts or when disabled)."""
        return None if self.average is None else self.average.module

    def on_fit_start(self, trainer, pl_module) -> None:
        if not self.enabled:
            return
        self.average = AveragedModel(pl_module.generator, multi_avg_fn=get_ema_multi_avg_fn(self.decay), use_buffers=True)
        if self._restored is not None:  # resuming: continue the stored average
            self.average.module.load_state_dict(self._restored["generator"])
            self.average.n_averaged.fill_(self._restored["n_averaged"])
        else:  # the average starts at the initial weights (AveragedModel's first update copies)
            self.average.update_parameters(pl_module.generator)
        self._last_iteration = pl_module.iteration

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.average is not None and pl_module.iteration != self._last_iteration:  # a generator step happened
            self._last_iteration = pl_module.iteration
            self.average.update_parameters(pl_module.generator)

    def state_dict(self) -> dict:
        if self.average is None:
            return {}
        return {"decay": self.decay, "n_averaged": int(self.average.n_averaged), "generator": self.average.module.state_dict()}

    def load_state_dict(self, state_dict: dict) -> None:
        self._restored = state_dict or None
