"""SIGTERM and SIGINT end a run cleanly: at the end of the current generator iteration, with a
checkpoint, results.json saying "interrupted", and a non-zero exit.

Lightning's own handling exits 0 after SIGTERM (a scheduler then counts a preempted job a success)
and saves nothing after SIGINT. This callback replaces both handlers while training runs: the
first signal asks the trainer to stop once the iteration in progress is complete (so the
checkpoint is a state the uninterrupted run also passes through); a second SIGINT stops at once.
"""

import signal

import lightning as L

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class GracefulStop(L.Callback):
    """Turns SIGTERM / SIGINT into ``trainer.should_stop`` at the next iteration boundary.

    After training, ``received`` names the signal that stopped it (None when none did). Under DDP
    the ranks agree on stopping (a signal to any rank stops all) at the next logging iteration.
    """

    def __init__(self):
        self.received: signal.Signals | None = None
        self._previous: dict = {}

    def _handle(self, signum: int, frame) -> None:
        if self.received is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: the user does not want to wait
        self.received = signal.Signals(signum)

    def on_train_start(self, trainer, pl_module) -> None:
        # After Lightning's signal connector has installed its handlers (at the start of fit),
        # which restores the originals when fit ends.
        self._previous = {signum: signal.signal(signum, self._handle) for signum in SIGNALS}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if not pl_module.between_iterations:
            return  # inside an iteration (a critic-only batch): finish it first
        asked = self.received is not None
        if trainer.world_size > 1:
            # The ranks must agree, which costs a collective: ask at logging iterations only, not
            # at every step (a scheduler's grace period is far longer than log_every_n_steps).
            if not pl_module.at_logging_iteration:
                return
            asked = trainer.strategy.reduce_boolean_decision(asked, all=False)
        if asked:
            self.received = self.received or signal.SIGTERM
            trainer.should_stop = True

    def on_train_end(self, trainer, pl_module) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}
