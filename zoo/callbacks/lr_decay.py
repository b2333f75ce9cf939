"""Learning rates that decay to zero over the training budget, for every optimizer of a variant."""

import math

import lightning as L

from zoo.errors import ConfigError

SCHEDULES = {
    "none": lambda progress: 1.0,
    "linear": lambda progress: 1.0 - progress,
    "cosine": lambda progress: 0.5 * (1.0 + math.cos(math.pi * progress)),
}


class LearningRateDecay(L.Callback):
    """Sets every optimizer's learning rate to its configured rate times ``schedule(progress)``
    before each optimizer step, ``progress`` being the fraction of the budget done
    (GANModule.progress). Idle with ``schedule: none``.

    Hand-written rather than a torch.optim.lr_scheduler: under manual optimization Lightning steps
    no scheduler, and a rate computed from the step count alone needs no state of its own, so a
    resumed run gets the uninterrupted run's rates (the configured rate is kept in each param group
    as ``initial_lr``, torch's own key, which travels in the optimizer's state in a checkpoint).
    """

    def __init__(self, schedule: str = "none"):
        if schedule not in SCHEDULES:
            raise ConfigError(f"lr_decay={schedule} is unknown; choose one of {', '.join(SCHEDULES)}")
        self.schedule = schedule

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if self.schedule == "none":
            return
        factor = SCHEDULES[self.schedule](pl_module.progress)
        for optimizer in trainer.optimizers:
            for group in optimizer.param_groups:
                group["lr"] = group.setdefault("initial_lr", group["lr"]) * factor
