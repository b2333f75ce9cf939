"""A run's logged curves read back and drawn: the training losses and the evaluation scores that
Lightning's CSVLogger wrote to <run dir>/csv/metrics.csv, against generator iterations, one line
per run, for zoo.report's page.
"""

import csv
import io
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display
import matplotlib.pyplot as plt

from zoo.metrics.names import ITERATION, METRICS

# Logged beside the scores but not worth a panel: the evaluation's denominator and the best-so-far
# bookkeeping (zoo.callbacks.history), and the epoch Lightning adds to what ``self.log`` logs.
BOOKKEEPING = ("epoch", "val/modes_total", "val/best_iteration", *(f"val/{name}_best" for name in METRICS))

Curves = dict[str, list[tuple[float, float]]]  # metric -> [(x, value), ...] in logged order


def read_metrics(path: Path) -> tuple[Curves, bool]:
    """metrics.csv as ({metric: [(x, value), ...]}, whether x is the generator iteration). Every
    row the zoo logs carries ``trainer/iteration`` (zoo.metrics.names.ITERATION), the x of the
    curves; files written before it existed have only the optimizer step (see
    ``steps_per_iteration``). Each line of the file holds what was logged at one step, the other
    columns blank. Raises OSError or ValueError when the file cannot be read as such."""
    curves: Curves = {}
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        by_iteration = ITERATION in (reader.fieldnames or [])
        for line in reader:
            step, iteration = int(line.pop("step")), line.pop(ITERATION, "")
            x = float(iteration) if by_iteration and iteration else step
            for name, text in line.items():
                if text and name not in BOOKKEEPING:
                    curves.setdefault(name, []).append((x, float(text)))
    return curves, by_iteration


def steps_per_iteration(results: dict, curves: Curves) -> int | None:
    """Optimizer steps per generator iteration of a run whose metrics.csv has no iteration column
    (the CSV's step is Lightning's ``global_step``, which counts every optimizer step): for a run
    that finished its budget, its last step over its iterations (training stops at exactly
    iterations x steps per iteration); else unknown (None)."""
    iterations = results.get("iterations")
    last = max((step for points in curves.values() for step, _ in points), default=0)
    if results.get("status", "ok") != "ok" or not isinstance(iterations, int) or iterations <= 0 or last % iterations:
        return None
    return int(last // iterations) or None


def in_iterations(curves: Curves, steps: int) -> Curves:
    return {name: [(step / steps, value) for step, value in points] for name, points in curves.items()}


def draw(lines: list[tuple[str, Curves]], columns: int = 3) -> bytes:
    """One panel per metric (training terms first, then scores), one line per run coloured by its
    label (its row of the table), as PNG bytes. ``lines``: (label, curves in generator iterations)."""
    names = sorted({name for _, curves in lines for name in curves}, key=lambda name: (not name.startswith("train/"), name))
    columns = max(1, min(columns, len(names)))
    panel_rows = max(1, math.ceil(len(names) / columns))
    figure, axes = plt.subplots(panel_rows, columns, figsize=(4.6 * columns, 3.2 * panel_rows), squeeze=False)
    labels = list(dict.fromkeys(label for label, _ in lines))
    colours = {label: plt.get_cmap("tab10")(index % 10) for index, label in enumerate(labels)}
    for ax, name in zip(axes.flat, names):
        for label, curves in lines:
            points = curves.get(name, [])
            if points:
                scores = name.startswith("val/")  # a few evaluations: mark each
                ax.plot(*zip(*points), color=colours[label], alpha=0.8, lw=1.2, marker="o" if scores else None, ms=3, label=label)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("generator iterations", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    handles = [plt.Line2D([], [], color=colours[label], lw=2) for label in labels]
    figure.legend(handles, labels, loc="upper center", ncol=min(len(labels), 4), fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 1 - 0.35 / (3.2 * panel_rows) * math.ceil(len(labels) / 4)))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    return buffer.getvalue()
