"""The scores the zoo computes, by name, and the one check of a list of them.

Every place that takes metric names (zoo.eval's ``metrics``, callbacks.fidelity.metrics,
zoo.metrics.fidelity.score, zoo.metrics.streaming.StreamingScores) checks them here, against the
subset it can compute, so a wrong name gets the same one line wherever it is given.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from zoo.errors import ConfigError

# Logged beside every metric: the generator iterations done, the x-axis every logger can plot
# against (the loggers' own step is ``global_step``, which counts every optimizer step).
ITERATION = "trainer/iteration"


@dataclass(frozen=True)
class Metric:
    """A score: what it measures, which way is better, and where it can be computed."""

    name: str
    measures: str
    higher_is_better: bool
    on_backbone: bool  # torch-fidelity computes it on the backbone's features (zoo.metrics.fidelity)
    in_training: bool  # the in-training evaluation computes it too, merged across DDP ranks
    needs_real: bool  # compares the samples with real images (else judges them alone)


METRICS = {
    metric.name: metric
    for metric in (
        Metric("fid", "Frechet Inception distance (Heusel et al. 2017)", False, True, True, True),
        Metric("kid", "kernel Inception distance (Binkowski et al. 2018)", False, True, True, True),
        Metric("is", "Inception Score (Salimans et al. 2016)", True, True, True, False),
        Metric("prc", "precision and recall (Kynkaanniemi et al. 2019)", True, True, False, True),
        Metric("modes", "Stacked-MNIST modes covered of 1,000, and KL (VEEGAN, PacGAN)", True, False, True, False),
        Metric("code_accuracy", "InfoGAN's categorical code matched to the classifier's labels (Chen et al. 2016)", True, False, False, False),
    )
}
ON_BACKBONE = tuple(name for name, metric in METRICS.items() if metric.on_backbone)
IN_TRAINING = tuple(name for name, metric in METRICS.items() if metric.in_training)
STREAMING = tuple(name for name in ON_BACKBONE if name in IN_TRAINING)  # torchmetrics' share


def check_metrics(metrics: Iterable[str], allowed: Iterable[str] = tuple(METRICS), setting: str = "metrics",
                  context: str = "here", required: bool = False) -> list[str]:
    """``metrics`` as a list, or a one-line ConfigError naming ``setting`` and the choices when
    one is unknown or not among ``allowed`` (what can be computed in ``context``), or when the
    list is empty and ``required``."""
    if isinstance(metrics, str):  # metrics=fid: one name, not the letters f, i, d
        metrics = [metrics]
    metrics, allowed = list(metrics), tuple(allowed)
    choices = ", ".join(allowed)
    if required and not metrics:
        raise ConfigError(f"{setting} is empty; choose from {choices}")
    for name in metrics:
        if name not in METRICS:
            raise ConfigError(f"{setting}: unknown metric {name}; choose from {choices}")
        if name not in allowed:
            elsewhere = "" if METRICS[name].in_training else f" ({name}: python -m zoo.eval)"
            raise ConfigError(f"{setting}: {name} cannot be computed {context}; choose from {choices}{elsewhere}")
    return metrics
