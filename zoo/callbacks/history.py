"""The scores of every in-training evaluation: the best so far, its checkpoint, the curves."""

from pathlib import Path

import matplotlib.pyplot as plt

from zoo.callbacks.checkpointing import save_atomically
from zoo.metrics.names import METRICS


class ScoreHistory:
    """Scores by generator iteration, with the best so far by ``monitor`` (lowest FID/KID, highest
    IS/modes; None: no best kept), ``<ckpt_dir>/best.ckpt`` its checkpoint, and
    ``<dirpath>/scores.png`` every score against iterations (titled with ``backbone``).

    Hand-written rather than Lightning's ModelCheckpoint, which only monitors values logged with
    ``self.log`` at its own hook times, whereas these scores are computed at generator-iteration
    boundaries and at the end of training.
    """

    def __init__(self, monitor: str | None, ckpt_dir: str | None, dirpath: Path, backbone: str):
        self.monitor, self.ckpt_dir, self.dirpath, self.backbone = monitor, Path(ckpt_dir) if ckpt_dir else None, dirpath, backbone
        self.best: float | None = None
        self.best_iteration: int | None = None
        self.entries: list[tuple[int, dict[str, float]]] = []

    def add(self, trainer, iteration: int, scores: dict[str, float]) -> dict[str, float]:
        """Record one evaluation (every rank: saving best.ckpt is collective); returns the best so
        far to log beside the scores ({} without ``monitor``)."""
        self.entries.append((iteration, scores))
        if trainer.is_global_zero:
            self.plot()
        if self.monitor is None:
            return {}
        value, higher_is_better = scores[self.monitor], METRICS[self.monitor].higher_is_better
        if self.best is None or (value > self.best if higher_is_better else value < self.best):
            self.best, self.best_iteration = value, iteration
            self.save_best(trainer)
        return {f"val/{self.monitor}_best": self.best, "val/best_iteration": float(self.best_iteration)}

    def save_best(self, trainer) -> None:
        """best.ckpt, replaced atomically: the previous best stays valid until the new one is whole."""
        if self.ckpt_dir is None:
            return
        save_atomically(trainer, self.ckpt_dir / "best.ckpt")  # collective: every rank calls it

    def plot(self) -> None:
        """<dirpath>/scores.png: each score against generator iterations."""
        names = [name for name in self.entries[-1][1] if not name.endswith("_std") and name != "modes_total"]
        figure, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3), squeeze=False)
        iterations = [iteration for iteration, _ in self.entries]
        for ax, name in zip(axes[0], names):
            values = [scores[name] for _, scores in self.entries]
            ax.plot(iterations, values, marker="o")
            if name in ("fid", "kid") and min(values) > 0 and max(values) > 10 * min(values):
                ax.set_yscale("log")  # early scores are orders of magnitude above late ones
            ax.set_xlabel("generator iterations")
            ax.set_title(f"{self.backbone} {name}")
            ax.grid(alpha=0.3)
        figure.tight_layout()
        self.dirpath.mkdir(parents=True, exist_ok=True)
        figure.savefig(self.dirpath / "scores.png", dpi=100)
        plt.close(figure)

    def state_dict(self) -> dict:
        return {"best": self.best, "best_iteration": self.best_iteration, "history": self.entries}

    def load_state_dict(self, state_dict: dict) -> None:
        self.best, self.best_iteration = state_dict.get("best"), state_dict.get("best_iteration")
        self.entries = list(state_dict.get("history", []))
