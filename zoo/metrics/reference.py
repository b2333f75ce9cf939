"""The real images a generator is scored against, named for the caches, read only when needed.

A reference is ``n_real`` images of one split of a data set, a fixed random subset drawn with the
scoring seed when the split is larger (the papers' protocol: 10,000 real images). zoo.eval and the
in-training evaluation (zoo.callbacks.FidelityEvaluation) build it the same way from the same
settings, so they score against the same images and share the cached statistics.

Its ``key`` names the data set, split, shape, count and seed, and every constructor setting but
where the files live, so one cache serves every copy of MNIST; an image folder's location is its
identity (``identity_includes_root``), so there it is part of the key. The key is known before any
file is read: a cached reference costs nothing.

The split is chosen here and only here (``split_datamodule``), for the scorers and the domain
classifier alike: a data set that declares ``splits`` gets the one asked for; one without splits
(digits, image folders) is used whole, and its split is named "all".
"""

import hashlib
import json
import os
from pathlib import Path

import torch
from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf
from torch import Tensor

from zoo.atomic import write_atomically
from zoo.errors import ConfigError
from zoo.factory import build

# Constructor settings that say where the files are or how they are batched, not which images.
NOT_IDENTITY = ("root", "download", "batch_size", "seed")


def cache_dir() -> Path:
    """Where the zoo caches what it computes once (classifiers, reference statistics):
    $ZOO_CACHE, else ~/.cache/zoo."""
    return Path(os.environ.get("ZOO_CACHE") or Path.home() / ".cache" / "zoo")


def arguments_of(dataset_cfg: DictConfig | dict) -> dict:
    """A data set config as plain constructor arguments."""
    return OmegaConf.to_container(dataset_cfg, resolve=True) if isinstance(dataset_cfg, DictConfig) else dict(dataset_cfg)


def dataset_name(dataset_cfg: DictConfig | dict) -> str:
    """A data set's name: its torchvision ``name`` (MNIST, CIFAR10) or its class name."""
    arguments = arguments_of(dataset_cfg)
    return arguments.get("name") or get_class(arguments["_target_"]).__name__


def dataset_id(dataset_cfg: DictConfig | dict) -> str:
    """A readable name for a data set config: mnist-28, cifar10-32, digits-8, imagefolder-64, ..."""
    shape = build(arguments_of(dataset_cfg), "the dataset").shape  # declared by its settings: nothing is read
    return f"{dataset_name(dataset_cfg)}-{shape[-1]}".lower()


def split_datamodule(dataset_cfg: DictConfig | dict, split: str, **overrides):
    """(the data module of ``split`` of the data set, not yet loaded; the split's name).

    A data set with ``splits`` is built on the one asked for, or refused in one line naming its
    splits; one without is built whole, and its split is "all"."""
    arguments = arguments_of(dataset_cfg) | overrides
    dataset_class = get_class(arguments["_target_"])
    if dataset_class.splits:
        if split not in dataset_class.splits:
            raise ConfigError(f"split={split} is not a split of {dataset_name(arguments)}; choose one of: {', '.join(dataset_class.splits)}")
        arguments["split"] = split
    else:
        split = "all"
    return build(arguments, "the dataset"), split


class Reference:
    """Up to ``n_real`` images of ``split`` of the data set ``dataset_cfg``: all of them when the
    split is no larger, else a random subset fixed by ``seed`` (the scoring seed, never the
    training seed: the data module is built with it too, so a data set that draws its images,
    as Stacked MNIST does, draws the same ones for every run).

    ``key`` and ``shape`` are known at once; ``images()`` reads the data on first use; ``count()``
    and ``features()`` answer from the cache under ``cache`` when they can, without reading.
    """

    def __init__(self, dataset_cfg: DictConfig | dict, split: str, n_real: int, seed: int, cache: str | Path | None = None):
        arguments = arguments_of(dataset_cfg)
        dataset_class = get_class(arguments["_target_"])
        if dataset_class.kind != "images":
            raise ConfigError(f"{dataset_class.__name__} holds {dataset_class.kind}, not images: score it with its mode metrics (python -m zoo.sample)")
        self.datamodule, self.split = split_datamodule(arguments, split, seed=seed)
        self.n_real, self.seed = n_real, seed
        self.shape = tuple(self.datamodule.shape)
        self.cache = Path(cache or cache_dir()) / "fidelity"
        described = {name: value for name, value in arguments.items() if name not in NOT_IDENTITY} | {"split": self.split}
        if dataset_class.identity_includes_root:
            described["root"] = str(Path(arguments["root"]).resolve())
        digest = hashlib.sha1(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()[:8]
        shape = "x".join(map(str, self.shape))
        self.key = f"{dataset_id(arguments)}-{self.split}-{shape}-{digest}-n{n_real}-seed{seed}"
        self._images: Tensor | None = None

    def images(self) -> Tensor:
        """The reference images (float in [-1, 1], (N, C, H, W)), read on the first call."""
        if self._images is None:
            self.datamodule.prepare_data()
            self.datamodule.setup()
            images = self.datamodule.data
            if len(images) > self.n_real:
                images = images[torch.randperm(len(images), generator=torch.Generator().manual_seed(self.seed))[: self.n_real]]
            self._images = images
            write_atomically(self.cache / f"{self.key}-count.json", lambda path: path.write_text(json.dumps({"count": len(images)})))
        return self._images

    def count(self) -> int:
        """How many images the reference holds (``n_real`` or fewer): remembered from the first
        time they were read, so that scoring against cached statistics reads nothing."""
        remembered = self.cache / f"{self.key}-count.json"
        if self._images is None and remembered.is_file():
            return json.loads(remembered.read_text())["count"]
        return len(self.images())

    def features(self, extract, backbone: str, batch_size: int) -> Tensor:
        """The reference's features on the CPU, ``extract`` (images -> (n, D) features) applied
        batch by batch: read from the cache file named by the key and ``backbone`` (an
        extractor's identity) when it exists, else computed and stored there."""
        path = self.cache / f"{self.key}-{backbone}-features.pt"
        if path.is_file():
            return torch.load(path, map_location="cpu", weights_only=True)
        features = torch.cat([extract(chunk).cpu() for chunk in self.images().split(batch_size)])
        write_atomically(path, lambda tmp: torch.save(features, tmp))
        return features


class GivenImages:
    """Images already in memory as a reference (a test's, or any caller's), with the members of
    ``Reference`` that scoring uses; cached under ``key`` (plus their count) when one is given."""

    def __init__(self, images: Tensor, key: str | None = None):
        self._images, self.shape = images, tuple(images.shape[1:])
        self.key = None if key is None else f"{key}-n{len(images)}"

    def images(self) -> Tensor:
        return self._images

    def count(self) -> int:
        return len(self._images)
