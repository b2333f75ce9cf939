"""FID, KID, IS and Stacked-MNIST modes of the generator during training, merged across ranks."""

import sys

import torch
from hydra.utils import get_class
from lightning.pytorch.utilities import rank_zero_info
from omegaconf import DictConfig
from tqdm import tqdm

from zoo.callbacks.ema import EMAGenerator
from zoo.callbacks.history import ScoreHistory
from zoo.callbacks.periodic import PeriodicEvaluation
from zoo.errors import ConfigError
from zoo.factory import build
from zoo.metrics.classifier import load_classifier
from zoo.metrics.names import IN_TRAINING, METRICS, check_metrics
from zoo.metrics.scoring import Scoring
from zoo.metrics.stacked_mnist import N_MODES, mode_counts, stacked_mnist_metrics_of_counts
from zoo.metrics.streaming import Extractor, StreamingScores
from zoo.models.sampling import generate


class FidelityEvaluation(PeriodicEvaluation):
    """FID, KID and IS of the generator during training (zoo.metrics.streaming: torchmetrics'
    metrics over torch-fidelity's feature extractors), and Stacked MNIST's mode count and KL, every
    ``every_n_iters`` generator iterations and at the end; logged as val/fid, val/kid, val/is (and
    their _std), val/modes, val/modes_total, val/kl in every logger. Idle when ``metrics`` is
    empty or the data are not images.

    ``scoring`` (conf/scoring/default.yaml) is zoo.eval's protocol: under DDP every rank generates
    its share of the ``n_samples`` fakes (its fixed noise draw cut in strides, so the sample set
    does not depend on the number of ranks) and the metric states are merged across ranks; the
    real reference is ``n_real`` images of the data set's ``split``, its features cached on disk.
    So zoo.eval on a checkpoint gives the score logged for it. With an enabled EMAGenerator
    callback the EMA generator is scored.

    ``monitor`` (one of the metrics, or null) keeps ``<ckpt_dir>/best.ckpt``, the checkpoint of
    the best evaluation so far (zoo.callbacks.history), and ``<dirpath>/scores.png`` the curves.
    """

    every_rank = True

    def __init__(self, dirpath: str, scoring: DictConfig, dataset: DictConfig, every_n_iters: int = 500, metrics=(),
                 monitor: str | None = "fid", ckpt_dir: str | None = None, progress: bool = True):
        super().__init__(dirpath, every_n_iters)
        setting = "callbacks.fidelity.metrics"
        self.metrics = check_metrics(metrics or [], IN_TRAINING, setting, "during training")
        self.scoring: Scoring = build(scoring, "scoring")
        self.scoring.check(self.metrics, dataset, setting)
        if monitor is not None and self.metrics and monitor not in self.metrics:
            raise ConfigError(f"callbacks.fidelity.monitor={monitor} is not among its metrics {self.metrics}; choose one of them or null")
        self.dataset, self.progress = dataset, progress
        self.active = bool(self.metrics) and get_class(dataset._target_).kind == "images"
        # Built, not read, now: a split the data set lacks is refused before the first step.
        needs_real = self.active and any(METRICS[name].needs_real for name in self.metrics)
        self.reference = self.scoring.reference(dataset) if needs_real else None
        self.history = ScoreHistory(monitor if self.metrics else None, ckpt_dir, self.dirpath, self.scoring.backbone)
        self.extractor: Extractor | None = None
        self.scores: StreamingScores | None = None
        self.mode_classifier = None
        self._prepared = False

    # --- preparation: the backbone and the real reference, once per run ------------------------

    def on_fit_start(self, trainer, pl_module) -> None:
        """Prepare before the first step, so a missing backbone or data fails at once rather than
        at the first evaluation."""
        if self.active and not self._prepared:
            self._prepare(trainer, pl_module)

    def _prepare(self, trainer, pl_module) -> None:
        self._prepared = True
        scoring, device = self.scoring, pl_module.device
        classifier = None
        if "modes" in self.metrics or scoring.backbone == "classifier":
            if trainer.is_global_zero:  # trains it once (a few CPU minutes) when it is not cached yet
                scoring.classifier_file(self.dataset, train=True, log=rank_zero_info)
            trainer.strategy.barrier()
            classifier = scoring.classifier_file(self.dataset)
        if "modes" in self.metrics:
            self.mode_classifier = load_classifier(classifier).to(device)
        on_backbone = [name for name in self.metrics if METRICS[name].on_backbone]
        if not on_backbone:
            return
        self.extractor = Extractor(scoring.backbone, on_backbone, scoring.weights_path, classifier, scoring.download).to(device)
        self.scores = StreamingScores(on_backbone, self.extractor.dims(), scoring.kid_subset_size, scoring.kid_subsets, scoring.is_splits).to(device)
        if self.reference is None:
            return
        features = None
        if trainer.is_global_zero:
            features = self.reference.features(self.extractor.features, self.extractor.identity, scoring.batch_size)
        features = trainer.strategy.broadcast(features, src=0)
        for chunk in features[trainer.global_rank :: trainer.world_size].split(scoring.batch_size):
            self.scores.add_real(chunk.to(device))

    # --- evaluation ------------------------------------------------------------------------------

    def compute(self, trainer, pl_module) -> dict[str, float]:
        if not self.active:
            return {}
        if not self._prepared:
            self._prepare(trainer, pl_module)
        ema = next((c for c in trainer.callbacks if isinstance(c, EMAGenerator) and c.generator is not None), None)
        generator = ema.generator if ema is not None else pl_module.generator
        z = self.scoring.noise(pl_module)[trainer.global_rank :: trainer.world_size]
        if self.scores is not None:
            self.scores.reset()
        counts = torch.zeros(N_MODES, dtype=torch.float64, device=pl_module.device)
        batches = generate(generator, z, self.scoring.batch_size)
        if self.progress and trainer.is_global_zero:
            total = -(-len(z) // self.scoring.batch_size)
            batches = tqdm(batches, total=total, desc=f"scoring {'EMA ' if ema else ''}samples", leave=False, file=sys.stderr)
        for images in batches:
            if self.scores is not None:
                self.scores.add_fake(self.extractor(images))
            if self.mode_classifier is not None:
                counts += mode_counts(images, self.mode_classifier).to(counts.device)
        scores = self.scores.compute(self.scoring.seed) if self.scores is not None else {}
        if self.mode_classifier is not None:  # histograms add up across ranks
            scores |= stacked_mnist_metrics_of_counts(trainer.strategy.reduce(counts, reduce_op="sum"))
        best = self.history.add(trainer, pl_module.iteration, scores)
        return {f"val/{name}": float(value) for name, value in scores.items()} | best

    def state_dict(self) -> dict:
        return self.history.state_dict()

    def load_state_dict(self, state_dict: dict) -> None:
        self.history.load_state_dict(state_dict)
