"""FID, KID and IS accumulated during training with torchmetrics' metric objects, merged across ranks.

Under DDP each rank extracts features of its own share of the samples; torchmetrics merges the
metric states when ``compute()`` is called (FID: feature sums and outer-product sums, reduced by
summation; KID and IS: the feature matrices). No image ever travels between ranks, and the merged
scores equal a single process's on the same samples.

The features come from a torch-fidelity extractor (zoo.metrics.backbones: the Inception FID
network or the zoo's classifier), run once per batch for all the metrics: the torchmetrics objects
are given a pass-through ``feature`` module, so they hold and reduce statistics of features the
zoo has already extracted instead of each running the network again.

Real-data features are computed once (rank 0; zoo.metrics.reference caches them on disk by the
reference's key and the backbone), broadcast, and each rank adds its stride of them; they are
kept across evaluations (``reset_real_features=False``).
"""

import warnings

import torch
from torch import Tensor, nn
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.inception import InceptionScore
from torchmetrics.image.kid import KernelInceptionDistance

from zoo.errors import ConfigError
from zoo.metrics.backbones import FEATURE_EXTRACTORS_REGISTRY, LAYERS, backbone_extractor, backbone_id
from zoo.metrics.fidelity import to_uint8_rgb
from zoo.metrics.names import STREAMING, check_metrics


class Precomputed(nn.Module):
    """The ``feature`` module handed to torchmetrics: features in, the same features out."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, features: Tensor) -> Tensor:
        return features


class Extractor(nn.Module):
    """A backbone's features (for FID/KID) and, when asked, logits (for IS) in one pass:
    images (float in [-1, 1] or uint8, 1 or 3 channels) -> {"features": (N, D), "logits": (N, K)}."""

    def __init__(self, backbone: str, metrics, weights_path: str | None = None, classifier_path: str | None = None, download: bool = True):
        super().__init__()
        name, weights = backbone_extractor(backbone, metrics, weights_path, classifier_path, download)
        features, logits = LAYERS[name]
        self.layers = {"features": features} | ({"logits": logits} if "is" in metrics else {})
        self.network = FEATURE_EXTRACTORS_REGISTRY[name](name, list(self.layers.values()), feature_extractor_weights_path=weights, verbose=False)
        self.network.eval().requires_grad_(False)
        self.identity = backbone_id(name, weights)

    @torch.no_grad()
    def forward(self, images: Tensor) -> dict[str, Tensor]:
        outputs = self.network(to_uint8_rgb(images))
        return {key: value.float() for key, value in zip(self.layers, outputs)}

    def features(self, images: Tensor) -> Tensor:
        """The features alone of ``images`` (on any device), computed on this extractor's."""
        return self(images.to(self.device))["features"]

    @property
    def device(self) -> torch.device:
        return next(self.network.parameters(), torch.empty(0)).device

    def dims(self) -> dict[str, int]:
        probe = torch.zeros(1, 3, 32, 32, dtype=torch.uint8, device=self.device)
        return {key: value.shape[1] for key, value in self(probe).items()}


class StreamingScores(nn.Module):
    """torchmetrics' FID, KID and IS over features from an ``Extractor``.

    ``add_real(features)`` once, then per evaluation ``reset()``, ``add_fake(outputs)`` for each
    batch, and ``compute()`` (collective under DDP: every rank must call it).
    """

    def __init__(self, metrics, dims: dict[str, int], kid_subset_size: int = 1000, kid_subsets: int = 100, is_splits: int = 10):
        super().__init__()
        metrics = check_metrics(metrics, STREAMING, "metrics", "during training")
        self.kid_subset_size = kid_subset_size
        self.scores = nn.ModuleDict()
        # KID and IS keep every feature vector (10,000 x 2048 float64 is 160 MB), and say so on
        # construction each time; the zoo's counts are bounded by n_samples/n_real, so hush it.
        warnings.filterwarnings("ignore", message="Metric .* will save all extracted features")
        if "fid" in metrics:
            self.scores["fid"] = FrechetInceptionDistance(feature=Precomputed(dims["features"]), reset_real_features=False)
        if "kid" in metrics:
            self.scores["kid"] = KernelInceptionDistance(
                feature=Precomputed(dims["features"]), subsets=kid_subsets, subset_size=kid_subset_size, reset_real_features=False
            )
        if "is" in metrics:
            self.scores["is"] = InceptionScore(feature=Precomputed(dims["logits"]), splits=is_splits)
        for metric in self.scores.values():
            metric.set_dtype(torch.float64)  # the papers' statistics are float64 (torch-fidelity's too)

    @property
    def needs_real(self) -> bool:
        return "fid" in self.scores or "kid" in self.scores

    def add_real(self, features: Tensor) -> None:
        for name in ("fid", "kid"):
            if name in self.scores:
                self.scores[name].update(features.double(), real=True)

    def add_fake(self, outputs: dict[str, Tensor]) -> None:
        for name, metric in self.scores.items():
            if name == "is":
                metric.update(outputs["logits"].double())
            else:
                metric.update(outputs["features"].double(), real=False)

    def reset(self) -> None:
        """Forget the fakes; the real features stay (reset_real_features=False)."""
        for metric in self.scores.values():
            metric.reset()

    def compute(self, seed: int = 0) -> dict[str, float]:
        """{fid, kid, kid_std, is, is_std} for what was asked. KID's subsets and IS's splits are
        drawn from a generator seeded with ``seed``, so repeated evaluations are comparable."""
        results = {}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            for name, metric in self.scores.items():
                try:
                    value = metric.compute()
                except ValueError as error:  # KID: "subset_size should be smaller than the number of samples"
                    raise ConfigError(f"{name} cannot be computed: {error} (kid_subset_size={self.kid_subset_size})") from error
                if isinstance(value, tuple):
                    results[name], results[f"{name}_std"] = float(value[0]), float(value[1])
                else:
                    results[name] = float(value)
        return results
