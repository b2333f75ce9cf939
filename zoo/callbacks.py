"""Lightning callbacks that watch a GAN train: pictures, mode coverage, config in checkpoints.

Callbacks that produce end-of-run numbers expose them as ``results`` (a flat dict); ``zoo.train``
collects those into results.json.
"""

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import lightning as L
import numpy as np
import torch
from lightning.pytorch.loggers import TensorBoardLogger, WandbLogger
from lightning.pytorch.utilities import rank_zero_info
from omegaconf import DictConfig, OmegaConf
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from zoo.errors import ConfigError
from zoo.metrics.modes import mode_metrics
from zoo.metrics.stacked_mnist import N_MODES, mode_counts, mode_metrics_of_counts
from zoo.plots import save_image_grid, save_picture, scatter_over_modes


def log_picture(trainer: L.Trainer, key: str, picture: np.ndarray) -> None:
    """Send an (H, W, 3) uint8 picture to every logger that stores pictures (CSV does not; the
    PNG in samples/ is its copy)."""
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.experiment.add_image(key, picture, trainer.global_step, dataformats="HWC")
        elif isinstance(logger, WandbLogger):
            logger.log_image(key=key, images=[picture], step=trainer.global_step)


def log_metrics(trainer: L.Trainer, metrics: dict[str, float]) -> None:
    """Write metrics straight to every logger (works in hooks where ``self.log`` is not allowed)."""
    for logger in trainer.loggers:
        logger.log_metrics(metrics, step=trainer.global_step)


class StoreConfig(L.Callback):
    """Puts the resolved run config into every checkpoint, so a checkpoint alone rebuilds its model
    (``python -m zoo.sample ckpt_path=...``) even after it is moved away from its run dir."""

    def __init__(self, config: DictConfig | dict):
        self.config = OmegaConf.to_container(config, resolve=True) if isinstance(config, DictConfig) else config

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict) -> None:
        checkpoint["zoo_config"] = self.config


class SampleGrid(L.Callback):
    """Every ``every_n_epochs`` epochs and at the end, a grid of the fixed-noise samples goes to
    ``<dirpath>/epoch_XXX.png`` (and ``final.png``) and to the loggers. Images only."""

    def __init__(self, dirpath: str, every_n_epochs: int = 1, nrow: int = 8):
        self.dirpath, self.every_n_epochs, self.nrow = Path(dirpath), every_n_epochs, nrow
        self.results: dict[str, float] = {}

    def _save(self, trainer, pl_module, name: str) -> None:
        if len(trainer.datamodule.shape) != 3 or not trainer.is_global_zero:  # points: see ModeCoverage
            return
        images = pl_module.sample(z=pl_module.fixed_noise)
        log_picture(trainer, "samples", save_image_grid(images, self.dirpath / f"{name}.png", self.nrow))

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self._save(trainer, pl_module, f"epoch_{trainer.current_epoch:03d}")

    def on_train_end(self, trainer, pl_module) -> None:
        self._save(trainer, pl_module, "final")


class PeriodicEvaluation(L.Callback):
    """Runs ``compute`` every ``every_n_iters`` generator iterations and once more at the end of
    training, logs what it returns and keeps the last result as ``results``.

    ``compute`` runs on rank 0 only, unless a subclass sets ``every_rank`` (its computation is
    collective, as torchmetrics' merged metrics are); logging is rank 0's either way.
    """

    every_rank = False

    def __init__(self, dirpath: str, every_n_iters: int = 500):
        self.dirpath, self.every_n_iters = Path(dirpath), every_n_iters
        self.results: dict[str, float] = {}
        self._last_iteration = -1

    def compute(self, trainer, pl_module) -> dict[str, float]:
        raise NotImplementedError

    def evaluate(self, trainer, pl_module) -> None:
        self._last_iteration = pl_module.iteration
        if not (trainer.is_global_zero or self.every_rank):
            return
        metrics = self.compute(trainer, pl_module)
        if metrics and trainer.is_global_zero:
            log_metrics(trainer, metrics)
            self.results = metrics

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        iteration = pl_module.iteration
        if iteration > 0 and iteration % self.every_n_iters == 0 and iteration != self._last_iteration:
            self.evaluate(trainer, pl_module)

    def on_train_end(self, trainer, pl_module) -> None:
        if pl_module.iteration != self._last_iteration:
            self.evaluate(trainer, pl_module)


class ModeCoverage(PeriodicEvaluation):
    """Mode metrics (zoo.metrics.modes) of ``n_samples`` generator samples, with a scatter plot
    over the true modes each time. Needs a data module with ``modes`` and ``sigma`` (the 2-D
    mixtures); idle otherwise.

    The same noise (``seed``) is used at every evaluation, so the curve tracks the generator and
    not the draw.
    """

    def __init__(self, dirpath: str, every_n_iters: int = 500, n_samples: int = 2500, seed: int = 1234):
        super().__init__(dirpath, every_n_iters)
        self.n_samples, self.seed = n_samples, seed

    def compute(self, trainer, pl_module) -> dict[str, float]:
        datamodule = trainer.datamodule
        if not hasattr(datamodule, "modes"):
            return {}
        iteration = pl_module.iteration
        samples = pl_module.sample(self.n_samples, seed=self.seed)
        scores = mode_metrics(samples, datamodule.modes, datamodule.sigma)
        title = f"iteration {iteration}: {scores['modes']}/{len(datamodule.modes)} modes, {scores['hq_pct']:.1f}% HQ"
        picture = scatter_over_modes(samples, datamodule.modes, datamodule.sigma, self.dirpath / f"iter_{iteration:06d}.png", title)
        log_picture(trainer, "scatter", picture)
        return {f"val/{name}": float(value) for name, value in scores.items()}


class VariantEvaluation(PeriodicEvaluation):
    """The variant's own scores and pictures (``GANModule.evaluate``): InfoGAN's matched accuracy,
    a reconstruction error, a traversal grid. Idle for variants that define none."""

    def compute(self, trainer, pl_module) -> dict[str, float]:
        pictures: dict[str, np.ndarray] = {}
        metrics = pl_module.evaluate(trainer.datamodule, pictures)
        for name, picture in pictures.items():
            save_picture(picture, self.dirpath / f"{name}_{pl_module.iteration:06d}.png")
            log_picture(trainer, name, picture)
        return {f"val/{name}": float(value) for name, value in metrics.items()}


class EMAGenerator(L.Callback):
    """An exponential moving average of the generator's weights (and batch-norm statistics),
    updated after every generator step: the generator that is evaluated and sampled in many GAN
    papers (Karras et al. 2018; Yazici et al. 2019). Built on torch.optim.swa_utils.AveragedModel.

    The average is stored in every checkpoint (this callback's state), so ``python -m zoo.eval``
    can score it and a resumed run continues it. Idle when ``enabled`` is false.
    """

    def __init__(self, decay: float = 0.999, enabled: bool = True):
        if not 0.0 < decay < 1.0:
            raise ConfigError(f"ema_decay must lie in (0, 1), got {decay}")
        self.decay, self.enabled = decay, enabled
        self.average: AveragedModel | None = None
        self._restored: dict | None = None
        self._last_iteration = 0

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


def ema_generator_state(checkpoint: dict) -> dict | None:
    """The EMA generator's state_dict stored in a checkpoint's callback states, if any."""
    for key, state in checkpoint.get("callbacks", {}).items():
        if key.startswith("EMAGenerator") and state:
            return state["generator"]
    return None


@torch.no_grad()
def generate(generator: nn.Module, z: Tensor, batch_size: int) -> Iterator[Tensor]:
    """Samples of ``generator`` for the noise ``z``, batch by batch, in eval mode (batch norm on its
    running statistics), restoring its mode afterwards."""
    was_training = generator.training
    generator.eval()
    try:
        for chunk in z.split(batch_size):
            yield generator(chunk)
    finally:
        generator.train(was_training)


class FidelityEvaluation(PeriodicEvaluation):
    """FID, KID and IS of the generator during training (zoo.metrics.streaming: torchmetrics'
    metrics over torch-fidelity's feature extractors), every ``every_n_iters`` generator
    iterations and at the end; logged as val/fid, val/kid, val/is (and their _std) in every logger.

    Under DDP every rank generates its share of the ``n_samples`` fakes (a fixed noise draw cut in
    strides, so the sample set does not depend on the number of ranks) and the metric states are
    merged across ranks. The real reference is ``n_real`` images of the data set's ``split``; its
    features are cached on disk. With an enabled EMAGenerator callback the EMA generator is scored.

    ``monitor`` (one of the metrics, or null) keeps ``<ckpt_dir>/best.ckpt``: the checkpoint of the
    best evaluation so far (lowest FID/KID, highest IS). Hand-written rather than Lightning's
    ModelCheckpoint, which only monitors values logged with ``self.log`` at its own hook times,
    whereas these scores are computed at generator-iteration boundaries and at the end of training.
    Idle when ``metrics`` is empty or the data are not images.
    """

    every_rank = True

    def __init__(
        self,
        dirpath: str,
        every_n_iters: int = 500,
        metrics=(),
        backbone: str = "inception",
        n_samples: int = 10_000,
        n_real: int = 10_000,
        split: str = "test",
        dataset=None,
        weights_path: str | None = None,
        classifier_path: str | None = None,
        download: bool = True,
        kid_subset_size: int = 1000,
        kid_subsets: int = 100,
        is_splits: int = 10,
        batch_size: int = 250,
        monitor: str | None = "fid",
        ckpt_dir: str | None = None,
        cache_dir: str | None = None,
        seed: int = 1234,
        progress: bool = True,
    ):
        super().__init__(dirpath, every_n_iters)
        from zoo.metrics.fidelity import check_kid_subset
        from zoo.metrics.streaming import STREAMING_METRICS

        self.metrics = list(metrics or [])
        unknown = sorted(set(self.metrics) - {*STREAMING_METRICS, "modes"})
        if unknown:
            raise ConfigError(
                f"callbacks.fidelity.metrics: {unknown[0]} cannot be computed during training; choose from "
                f"{', '.join(STREAMING_METRICS)}, modes (precision/recall: python -m zoo.eval)"
            )
        if backbone not in ("inception", "classifier"):
            raise ConfigError(f"callbacks.fidelity.backbone={backbone} is unknown; choose inception or classifier")
        if split not in ("train", "test"):
            raise ConfigError(f"callbacks.fidelity.split={split} is unknown; choose train or test")
        if n_samples <= 1 or n_real <= 1:
            raise ConfigError(f"callbacks.fidelity needs n_samples and n_real > 1, got {n_samples} and {n_real}")
        if "kid" in self.metrics:
            check_kid_subset(kid_subset_size, n_samples=n_samples, n_real=n_real)
        if monitor is not None and monitor not in self.metrics and self.metrics:
            raise ConfigError(f"callbacks.fidelity.monitor={monitor} is not among its metrics {self.metrics}; choose one of them or null")
        if weights_path is not None and not Path(weights_path).is_file():
            raise ConfigError(f"callbacks.fidelity.weights_path={weights_path} does not exist")
        self.backbone, self.n_samples, self.n_real, self.split, self.dataset = backbone, n_samples, n_real, split, dataset
        self.weights_path, self.classifier_path, self.download = weights_path, classifier_path, download
        self.kid_subset_size, self.kid_subsets, self.is_splits = kid_subset_size, kid_subsets, is_splits
        self.batch_size, self.monitor, self.seed, self.progress = batch_size, monitor if self.metrics else None, seed, progress
        self.ckpt_dir = Path(ckpt_dir) if ckpt_dir else None
        self.cache_dir = cache_dir
        self.extractor = self.scores = self.mode_classifier = None
        self._prepared = False
        self.best: float | None = None
        self.best_iteration: int | None = None
        self.history: list[tuple[int, dict[str, float]]] = []

    # --- preparation: the backbone and the real reference, once per run ------------------------

    def on_fit_start(self, trainer, pl_module) -> None:
        """Check and prepare before the first step, so a missing backbone or data fails at once
        rather than at the first evaluation."""
        if not self.metrics or len(trainer.datamodule.shape) != 3:
            return
        if "modes" in self.metrics and trainer.datamodule.shape[0] != 3:
            raise ConfigError("callbacks.fidelity.metrics: modes counts Stacked MNIST's 1,000 modes and needs 3-channel images (dataset=stacked_mnist)")
        if not self._prepared:
            self._prepare(trainer, pl_module)

    def _prepare(self, trainer, pl_module) -> None:
        from zoo.classifier import default_classifier, load_classifier_file
        from zoo.eval import real_images
        from zoo.metrics.streaming import Extractor, StreamingScores, real_features

        self._prepared = True
        cache = Path(self.cache_dir) if self.cache_dir else None
        score_metrics = [m for m in self.metrics if m != "modes"]
        classifier = self.classifier_path
        if classifier is None and ("modes" in self.metrics or self.backbone == "classifier"):
            if trainer.is_global_zero:  # trains it once (a few CPU minutes) when it is not cached yet
                default_classifier(self.dataset, cache, train=True, log=rank_zero_info)
            trainer.strategy.barrier()
            classifier = str(default_classifier(self.dataset, cache))
        if "modes" in self.metrics:
            self.mode_classifier = load_classifier_file(classifier).to(pl_module.device)
        if not score_metrics:
            return
        self.extractor = Extractor(self.backbone, score_metrics, self.weights_path, classifier, self.download).to(pl_module.device)
        self.scores = StreamingScores(score_metrics, self.extractor.dims(), self.kid_subset_size, self.kid_subsets, self.is_splits).to(pl_module.device)
        if not self.scores.needs_real:
            return
        features = None
        if trainer.is_global_zero:
            images, key = real_images(self.dataset, self.split, self.n_real, self.seed)
            features = real_features(self.extractor, images, key, self.batch_size, pl_module.device, cache and cache / "fidelity")
        features = trainer.strategy.broadcast(features, src=0)
        rank, world = trainer.global_rank, trainer.world_size
        for chunk in features[rank::world].split(self.batch_size):
            self.scores.add_real(chunk.to(pl_module.device))

    # --- evaluation ------------------------------------------------------------------------------

    def compute(self, trainer, pl_module) -> dict[str, float]:
        if not self.metrics or len(trainer.datamodule.shape) != 3:
            return {}
        if not self._prepared:
            self._prepare(trainer, pl_module)
        ema = next((c for c in trainer.callbacks if isinstance(c, EMAGenerator) and c.generator is not None), None)
        generator = ema.generator if ema is not None else pl_module.generator
        # One fixed draw for all ranks, cut in strides: the same sample set at every world size.
        z = pl_module.noise(self.n_samples, torch.Generator(device=pl_module.device).manual_seed(self.seed))
        z = z[trainer.global_rank :: trainer.world_size]
        if self.scores is not None:
            self.scores.reset()
        counts = torch.zeros(N_MODES, dtype=torch.float64, device=pl_module.device)
        batches = generate(generator, z, self.batch_size)
        if self.progress and trainer.is_global_zero:
            total = -(-len(z) // self.batch_size)
            batches = tqdm(batches, total=total, desc=f"scoring {'EMA ' if ema else ''}samples", leave=False, file=sys.stderr)
        for images in batches:
            if self.scores is not None:
                self.scores.add_fake(self.extractor(images))
            if self.mode_classifier is not None:
                counts += mode_counts(images, self.mode_classifier).to(counts.device)
        scores = self.scores.compute(self.seed) if self.scores is not None else {}
        if self.mode_classifier is not None:  # histograms add up across ranks
            scores |= mode_metrics_of_counts(trainer.strategy.reduce(counts, reduce_op="sum"))
        iteration = pl_module.iteration
        self.history.append((iteration, scores))
        metrics = {f"val/{name}": value for name, value in scores.items()}
        if self.monitor is not None:
            value = scores[self.monitor]
            if self.best is None or (value > self.best if self.monitor in ("is", "modes") else value < self.best):
                self.best, self.best_iteration = value, iteration
                self._save_best(trainer)
            metrics |= {f"val/{self.monitor}_best": self.best, "val/best_iteration": float(self.best_iteration)}
        if trainer.is_global_zero:
            self._plot_curves()
        return metrics

    def _save_best(self, trainer) -> None:
        """best.ckpt, replaced atomically: the previous best stays valid until the new one is whole."""
        if self.ckpt_dir is None:
            return
        path = self.ckpt_dir / "best.ckpt"
        tmp = self.ckpt_dir / "best.ckpt.tmp"
        trainer.save_checkpoint(tmp)  # collective: every rank calls it, rank 0 writes
        if trainer.is_global_zero:
            os.replace(tmp, path)
        trainer.strategy.barrier()

    def _plot_curves(self) -> None:
        """<dirpath>/scores.png: each score against generator iterations."""
        import matplotlib.pyplot as plt

        names = [name for name in self.history[-1][1] if not name.endswith("_std")]
        figure, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3), squeeze=False)
        iterations = [iteration for iteration, _ in self.history]
        for ax, name in zip(axes[0], names):
            values = [scores[name] for _, scores in self.history]
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
        return {"best": self.best, "best_iteration": self.best_iteration, "history": self.history}

    def load_state_dict(self, state_dict: dict) -> None:
        self.best, self.best_iteration = state_dict.get("best"), state_dict.get("best_iteration")
        self.history = list(state_dict.get("history", []))
