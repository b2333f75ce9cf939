"""The scoring protocol, one for ``python -m zoo.eval`` and for the in-training evaluation
(zoo.callbacks.FidelityEvaluation): backbone, sample and reference counts, split, seed, caches.

Both build it from the same config node (conf/scoring/default.yaml, where each setting's meaning
is given), draw the same noise (``noise``) and the same real images (``reference``), so a
checkpoint's score from zoo.eval equals the one logged in training. Which metrics to compute is
each entry point's own choice (zoo.eval's ``metrics``, callbacks.fidelity.metrics); this is how.
"""

from dataclasses import dataclass
from pathlib import Path

import torch
from hydra.utils import get_class
from torch import Tensor

from zoo.errors import ConfigError
from zoo.metrics.backbones import BACKBONES
from zoo.metrics.classifier import default_classifier
from zoo.metrics.fidelity import check_kid_subset
from zoo.metrics.reference import Reference, arguments_of, cache_dir


@dataclass(frozen=True)
class Scoring:
    """How images are scored; the values live in conf/scoring/default.yaml. Refuses, in one line
    naming the setting, what no metric could use."""

    backbone: str
    n_samples: int
    n_real: int
    split: str
    weights_path: str | None
    classifier_path: str | None
    download: bool
    kid_subset_size: int
    kid_subsets: int
    is_splits: int
    batch_size: int
    cache_dir: str | None
    seed: int

    def __post_init__(self):
        if self.backbone not in BACKBONES:
            raise ConfigError(f"scoring.backbone={self.backbone} is unknown; choose {' or '.join(BACKBONES)}")
        if self.n_samples < 2 or self.n_real < 2:
            raise ConfigError(f"scoring.n_samples and scoring.n_real must be at least 2 (a covariance needs two), got {self.n_samples} and {self.n_real}")
        for setting, path in (("weights_path", self.weights_path), ("classifier_path", self.classifier_path)):
            if path is not None and not Path(path).is_file():
                raise ConfigError(f"scoring.{setting}={path} does not exist")

    def check(self, metrics: list[str], dataset_cfg, setting: str = "metrics") -> None:
        """Refuse, before any image is made, ``metrics`` that these settings or the data set
        ``dataset_cfg`` cannot give."""
        if "kid" in metrics:
            check_kid_subset(self.kid_subset_size, n_samples=self.n_samples, n_real=self.n_real)
        if "modes" in metrics and get_class(arguments_of(dataset_cfg)["_target_"]).channel_dataset is None:
            raise ConfigError(f"{setting}: modes counts Stacked MNIST's 1,000 modes (a digit in each of 3 channels) and needs dataset=stacked_mnist")

    @property
    def cache(self) -> Path:
        """The zoo cache this scoring reads and fills: ``cache_dir``, else $ZOO_CACHE or ~/.cache/zoo."""
        return Path(self.cache_dir) if self.cache_dir else cache_dir()

    def reference(self, dataset_cfg) -> Reference:
        """The ``n_real`` real images of ``split`` of the data set, drawn with ``seed`` (not read yet)."""
        return Reference(dataset_cfg, self.split, self.n_real, self.seed, self.cache)

    def noise(self, model) -> Tensor:
        """The ``n_samples`` latent vectors scored: one fixed draw from ``seed``, the same for
        zoo.eval and at every in-training evaluation (which cuts it in strides across ranks)."""
        return model.noise(self.n_samples, torch.Generator(device=model.device).manual_seed(self.seed))

    def classifier_file(self, dataset_cfg, train: bool = False, log=print) -> str:
        """The domain classifier to use: ``classifier_path``, else the cached default one for the
        data set (trained first when ``train`` and it is missing; else refused in one line)."""
        if self.classifier_path is not None:
            return str(self.classifier_path)
        return str(default_classifier(dataset_cfg, self.cache, train=train, log=log))
