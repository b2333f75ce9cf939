"""FID, KID, IS and precision/recall of generated images, through torch-fidelity.

Everything numeric comes from torch-fidelity (``calculate_metrics``: the Frechet distance, the KID
estimator, the Inception Score, precision/recall); this module only supplies images as uint8 RGB
data sets (torch-fidelity's input format), the checks that turn bad input into one line
(zoo.errors.ConfigError), and the cache name of the real reference's statistics (torch-fidelity's
own cache, keyed by the reference's key and the backbone). The backbones are zoo.metrics.backbones'.
"""

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch_fidelity
from torch import Tensor
from torch.utils.data import Dataset

from zoo.errors import ConfigError
from zoo.metrics.backbones import INCEPTION_ONLINE, backbone_extractor, backbone_id
from zoo.metrics.names import METRICS, ON_BACKBONE, check_metrics
from zoo.metrics.reference import GivenImages, Reference, cache_dir

# torch-fidelity's result keys -> the zoo's names (logged as val/<name>).
RESULT_NAMES = {
    "frechet_inception_distance": "fid",
    "kernel_inception_distance_mean": "kid",
    "kernel_inception_distance_std": "kid_std",
    "inception_score_mean": "is",
    "inception_score_std": "is_std",
    "precision": "precision",
    "recall": "recall",
}


def to_uint8_rgb(images: Tensor) -> Tensor:
    """Images in the zoo's data space (float in [-1, 1], (N, C, H, W)) -> uint8 (N, 3, H, W), the
    input of every torch-fidelity extractor. Greyscale is repeated over three channels, as the
    papers do for MNIST. uint8 input passes through (greyscale still repeated)."""
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ConfigError(f"expected images (N, 1 or 3, H, W), got shape {list(images.shape)}")
    if images.dtype != torch.uint8:
        images = ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return images.expand(-1, 3, -1, -1).contiguous() if images.shape[1] == 1 else images


class UInt8Images(Dataset):
    """A fixed set of images as torch-fidelity wants them: items are uint8 (3, H, W) tensors.
    ``images`` is called on first use, so a reference whose statistics torch-fidelity finds in its
    cache is never read."""

    def __init__(self, images: Callable[[], Tensor]):
        self._images, self._uint8 = images, None

    def _load(self) -> Tensor:
        if self._uint8 is None:
            self._uint8 = to_uint8_rgb(self._images().cpu())
        return self._uint8

    def __len__(self) -> int:
        return len(self._load())

    def __getitem__(self, index: int) -> Tensor:
        return self._load()[index]


def check_pair(fake: Tensor, real_shape: tuple[int, ...] | None) -> None:
    """One line for a fake/real pair that cannot be compared (``real_shape``: one real image's)."""
    if len(fake) == 0:
        raise ConfigError("no generated images to score")
    if real_shape is None:
        return
    if fake.shape[1] != real_shape[0]:
        raise ConfigError(f"fake images have {fake.shape[1]} channels but the real ones {real_shape[0]}: score against the matching data set")
    if tuple(fake.shape[2:]) != tuple(real_shape[1:]):
        raise ConfigError(
            f"fake images are {fake.shape[2]}x{fake.shape[3]} but the real ones {real_shape[1]}x{real_shape[2]}: "
            "set the real data set's size to the generator's (e.g. dataset.size=...)"
        )


def check_kid_subset(kid_subset_size: int, **counts: int) -> None:
    """Refuse KID when its subsets are smaller than 2 (its unbiased estimator divides by m - 1) or
    a set is smaller than the subsets it draws, naming the counts."""
    if isinstance(kid_subset_size, bool) or not isinstance(kid_subset_size, int) or kid_subset_size < 2:
        raise ConfigError(f"kid_subset_size must be a whole number >= 2, got {kid_subset_size!r}")
    if min(counts.values()) < kid_subset_size:
        given = ", ".join(f"{name}={count}" for name, count in counts.items())
        raise ConfigError(
            f"KID draws subsets of kid_subset_size={kid_subset_size} images but only {min(counts.values())} are given, {given}: "
            "lower kid_subset_size or raise the counts"
        )


# Feature dimension of each backbone's FID features.
FID_FEATURES = {"inception": 2048, "classifier": 128}
# What torch-fidelity's cache files hold besides tensors: statistics as numpy arrays.
NUMPY_GLOBALS = [np.ndarray, np.dtype, np._core.multiarray._reconstruct, *{type(np.dtype(t)) for t in (np.float32, np.float64, np.int64)}]


def vet_plain_file(path: Path, what: str) -> None:
    """Refuse, in one line, a file that holds anything but tensors, numpy arrays and plain
    containers. torch-fidelity reads its cache and weights files with ``weights_only=False``, so a
    planted file there would run code when loaded; the zoo reads each one safely first."""
    try:
        with torch.serialization.safe_globals(NUMPY_GLOBALS):
            torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ConfigError(
            f"{what} {path} holds more than tensors and arrays ({type(error).__name__}), so loading it could run code: "
            "delete it, or point the setting at a file you trust"
        ) from error


def score(
    fake: Tensor,
    real: Tensor | Reference | None = None,
    metrics=("fid",),
    backbone: str = "inception",
    weights_path: str | None = None,
    classifier_path: str | None = None,
    real_key: str | None = None,
    kid_subset_size: int = 1000,
    kid_subsets: int = 100,
    isc_splits: int = 10,
    batch_size: int = 64,
    cache: Path | None = None,
    download: bool = True,
    device: str = "cpu",
    verbose: bool = False,
) -> dict[str, float]:
    """Scores of ``fake`` images against ``real`` ones ((N, C, H, W), float in [-1, 1] or uint8).

    ``metrics``: any of fid, kid, is, prc (precision/recall). ``backbone``: inception (the
    papers' FID network) or classifier (``classifier_path``, a zoo.metrics.classifier file).
    ``real``: images, or a zoo.metrics.reference.Reference (read only if its statistics are not
    cached). The real features and statistics are cached under ``cache`` (default:
    <cache_dir()>/fidelity) by the reference's key, or ``real_key`` plus the count for images
    (e.g. "mnist-test" -> "mnist-test-n10000"), and the backbone, so a repeat evaluation reads them
    instead of recomputing. Returns {fid, kid, kid_std, is, is_std, precision, recall} as asked.
    """
    metrics = check_metrics(metrics, ON_BACKBONE, "metrics", "by torch-fidelity", required=True)
    real = GivenImages(real, real_key) if isinstance(real, Tensor) else real
    binary = [m for m in metrics if METRICS[m].needs_real]
    if binary and real is None:
        raise ConfigError(f"{', '.join(binary)} compare with real images: give a real data set")
    check_pair(fake, real.shape if binary else None)
    n_real = real.count() if binary else None
    if binary and n_real == 0:
        raise ConfigError("no real images to score against")
    if "kid" in metrics:
        check_kid_subset(kid_subset_size, fakes=len(fake), reals=n_real)
    if "fid" in metrics and min(len(fake), n_real) < FID_FEATURES.get(backbone, 0):
        # Below the feature dimension the covariance is singular and FID is biased far upwards.
        print(f"zoo: warning: FID from {min(len(fake), n_real)} images per set, fewer than the {FID_FEATURES[backbone]} "
              "features of the backbone: the score is biased high; compare only scores with the same counts", file=sys.stderr)
    if "prc" in metrics and min(len(fake), n_real) <= 3:
        raise ConfigError("precision/recall needs more than 3 images per set (its k-NN neighbourhood is 3)")
    extractor, extractor_weights = backbone_extractor(backbone, metrics, weights_path, classifier_path, download)

    results: dict[str, float] = {}
    if "is" in metrics and extractor == INCEPTION_ONLINE and binary:
        # IS needs the logits network; the rest keeps to the offline one (the same pool3 features).
        results |= score(fake, None, ["is"], backbone, weights_path, classifier_path, None, isc_splits=isc_splits,
                         batch_size=batch_size, cache=cache, download=download, device=device, verbose=verbose)
        metrics = binary
        extractor, extractor_weights = backbone_extractor(backbone, metrics, weights_path, classifier_path, download)
    cache_name = None
    if binary and real.key is not None:
        cache_name = f"{real.key}-{backbone_id(extractor, extractor_weights)}"
    cache_root = Path(cache or cache_dir() / "fidelity")
    for cached in sorted(cache_root.glob(f"{cache_name}*.pt")) if cache_name else []:
        vet_plain_file(cached, "the cached statistics file")
    if extractor == INCEPTION_ONLINE and extractor_weights is not None:
        vet_plain_file(Path(extractor_weights), "the Inception weights file")
    raw = torch_fidelity.calculate_metrics(
        input1=UInt8Images(lambda: fake),
        input2=UInt8Images(real.images) if binary else None,
        input2_cache_name=cache_name,
        cache_root=str(cache_root),
        cache=cache_name is not None,
        fid="fid" in metrics,
        kid="kid" in metrics,
        isc="is" in metrics,
        prc="prc" in metrics,
        feature_extractor=extractor,
        feature_extractor_weights_path=extractor_weights,
        kid_subset_size=kid_subset_size,
        kid_subsets=kid_subsets,
        isc_splits=isc_splits,
        batch_size=batch_size,
        cuda=device != "cpu" and torch.cuda.is_available(),
        save_cpu_ram=True,  # no DataLoader worker processes: the images are already in memory
        verbose=verbose,
    )
    return results | {RESULT_NAMES[key]: float(value) for key, value in raw.items() if key in RESULT_NAMES}
