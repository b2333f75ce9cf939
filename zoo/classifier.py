"""The domain classifier: a small CNN the zoo trains on a labelled data set and caches.

``python -m zoo.classifier dataset=mnist [dataset.root=...] [epochs=3] [cache_dir=...]`` trains it
(MNIST: over 99% test accuracy, Fashion-MNIST over 90%, in a few CPU minutes) and stores it under
``<cache_dir>/classifiers/<key>.pt``, the key naming the data set and every setting that changes
the network, so the same command a second time only reads it back.

It scores digit data where the ImageNet Inception network is a poor judge and costs 0.17 s per
image on a CPU: classifier-FID (its penultimate features) and classifier-IS (its logits), as in
the GAN papers that score MNIST with an MNIST classifier; Stacked-MNIST's mode count and KL
(each channel classified, VEEGAN / PacGAN); InfoGAN's matched accuracy (``predict_labels``).
"""

import hashlib
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf
from torch import Tensor, nn

from zoo.cli import CONFIG_DIR, check_group_choices, fail, handle_help_and_unknown_keys
from zoo.errors import ConfigError
from zoo.factory import build

# Settings that change the trained network, and so its cache key.
KEY_SETTINGS = ("epochs", "lr", "batch_size", "width", "n_train", "seed")


class DigitClassifier(nn.Module):
    """Two conv blocks (conv 3x3, ReLU, max-pool 2) and a 128-unit hidden layer: LeNet-sized, the
    usual MNIST evaluation classifier. Input: (N, in_channels, size, size) in [-1, 1]."""

    def __init__(self, in_channels: int = 1, size: int = 28, n_classes: int = 10, width: int = 32):
        super().__init__()
        self.config = {"in_channels": in_channels, "size": size, "n_classes": n_classes, "width": width}
        self.trunk = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * width * (size // 4) ** 2, 128), nn.ReLU(),
        )  # fmt: skip
        self.head = nn.Linear(128, n_classes)

    def features_and_logits(self, x: Tensor) -> tuple[Tensor, Tensor]:
        features = self.trunk(x)
        return features, self.head(features)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.trunk(x))

    def prepare(self, images: Tensor) -> Tensor:
        """Any images (uint8 in [0, 255] or float in [-1, 1]; 1 or 3 channels; any size) -> this
        network's input. Three channels become one by their mean when it reads greyscale (the
        scorers repeat greyscale over RGB)."""
        x = images.float() / 127.5 - 1 if images.dtype == torch.uint8 else images.float()
        x = x.to(self.head.weight.device)
        channels = self.config["in_channels"]
        if x.shape[1] != channels:
            x = x.mean(1, keepdim=True) if channels == 1 else x.expand(-1, channels, -1, -1)
        size = self.config["size"]
        if x.shape[-1] != size:
            x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        return x


def load_classifier_file(path: str | Path) -> DigitClassifier:
    """A classifier saved by ``train_classifier``, in eval mode."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"classifier file {path} does not exist: train it with python -m zoo.classifier dataset=<name>")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = DigitClassifier(**saved["config"])
    model.load_state_dict(saved["state_dict"])
    return model.eval().requires_grad_(False)


@torch.no_grad()
def predict_labels(classifier: DigitClassifier, images: Tensor, batch_size: int = 1024) -> Tensor:
    """Predicted class of each image ((N, C, H, W), float in [-1, 1] or uint8): what InfoGAN's
    matched accuracy and Stacked-MNIST's per-channel labels need."""
    return torch.cat([classifier(classifier.prepare(chunk)).argmax(1).cpu() for chunk in images.split(batch_size)])


def dataset_id(dataset_cfg) -> str:
    """A readable name for a data set config: mnist-28, fashionmnist-28, digits-8, ..."""
    cfg = OmegaConf.to_container(dataset_cfg, resolve=True) if isinstance(dataset_cfg, DictConfig) else dict(dataset_cfg)
    name = cfg.get("name") or cfg["_target_"].rsplit(".", 1)[-1]
    return f"{name}-{cfg.get('size', cfg.get('shape', ['x'])[-1])}".lower()


def classifier_key(dataset_cfg, settings: dict) -> str:
    """Cache key: the data set's id, plus a hash of the settings that change the network."""
    chosen = {name: settings.get(name) for name in KEY_SETTINGS}
    digest = hashlib.sha1(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:8]
    return f"{dataset_id(dataset_cfg)}-{digest}"


def classifier_path(dataset_cfg, settings: dict, cache: str | Path | None = None) -> Path:
    from zoo.metrics.fidelity import cache_dir

    return Path(cache or cache_dir()) / "classifiers" / f"{classifier_key(dataset_cfg, settings)}.pt"


def _load_split(dataset_cfg, train: bool):
    arguments = OmegaConf.to_container(dataset_cfg, resolve=True)
    arguments = {k: v for k, v in arguments.items() if k not in ("kind", "shape")}
    if "train" in arguments or arguments.get("_target_", "").endswith("TorchvisionImages"):
        arguments["train"] = train
    datamodule = build(arguments, "the dataset")
    datamodule.prepare_data()
    datamodule.setup()
    if datamodule.labels is None:
        raise ConfigError(f"dataset {dataset_id(dataset_cfg)} has no labels to train a classifier on")
    return datamodule.data, datamodule.labels


def train_classifier(dataset_cfg, epochs: int = 5, lr: float = 2e-3, batch_size: int = 128, width: int = 32,
                     n_train: int | None = None, seed: int = 0, log=print) -> tuple[DigitClassifier, float]:
    """Train on the data set's training split (the first ``n_train`` images, all when null) with
    Adam, and return (classifier, accuracy on its test split)."""
    images, labels = _load_split(dataset_cfg, train=True)
    test_images, test_labels = _load_split(dataset_cfg, train=False)
    if n_train:
        images, labels = images[:n_train], labels[:n_train]
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = DigitClassifier(images.shape[1], images.shape[-1], int(labels.max()) + 1, width)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=epochs * (len(images) // batch_size))
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(images), generator=generator)
        started = time.perf_counter()
        for i in range(len(images) // batch_size):
            index = order[i * batch_size : (i + 1) * batch_size]
            loss = F.cross_entropy(model(images[index]), labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
        model.eval()
        accuracy = (predict_labels(model, test_images) == test_labels).float().mean().item()
        log(f"zoo: classifier epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, test accuracy {accuracy:.4f} ({time.perf_counter() - started:.0f} s)")
    return model.eval().requires_grad_(False), accuracy


def get_classifier(dataset_cfg, settings: dict | None = None, cache: str | Path | None = None, train: bool = False, log=print) -> Path:
    """The cached classifier file for ``dataset_cfg`` and ``settings``; trains and stores it first
    when ``train`` is true and it is missing, else refuses in one line naming the command."""
    settings = {**DEFAULT_SETTINGS, **(settings or {})}
    path = classifier_path(dataset_cfg, settings, cache)
    if path.is_file():
        return path
    if not train:
        raise ConfigError(
            f"no trained classifier for {dataset_id(dataset_cfg)} in {path.parent}: "
            f"run python -m zoo.classifier dataset=<name> (with the same dataset.* settings) first"
        )
    model, accuracy = train_classifier(dataset_cfg, **{k: settings[k] for k in KEY_SETTINGS}, log=log)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"config": model.config, "state_dict": model.state_dict(), "test_accuracy": accuracy, "settings": settings,
                "dataset": dataset_id(dataset_cfg)}, tmp)
    tmp.replace(path)  # atomic: a concurrent reader never sees half a file
    return path


def default_classifier(dataset_cfg, cache: str | Path | None = None, train: bool = False, log=print) -> Path:
    """The cached default classifier that scores ``dataset_cfg``'s images: the data set's own, or
    MNIST's for Stacked MNIST (which classifies each channel as an MNIST digit)."""
    if dataset_cfg._target_.endswith("StackedMNIST"):
        dataset_cfg = OmegaConf.merge(dataset_cfg, {"_target_": "zoo.data.images.TorchvisionImages", "name": "MNIST"})
        dataset_cfg.pop("n_samples", None)
    return get_classifier(dataset_cfg, cache=cache, train=train, log=log)


DEFAULT_SETTINGS = {"epochs": 5, "lr": 2e-3, "batch_size": 128, "width": 32, "n_train": None, "seed": 0}


def compose_classifier_config(argv: list[str]) -> DictConfig:
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose("classifier", overrides=argv)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    handle_help_and_unknown_keys(argv, "classifier", __doc__, ())
    check_group_choices(argv)
    try:
        cfg = compose_classifier_config(argv)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        settings = {name: cfg[name] for name in KEY_SETTINGS}
        path = get_classifier(cfg.dataset, settings, cfg.cache_dir, train=True)
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except ConfigError as error:
        fail(str(error))
    print(f"zoo: classifier for {saved['dataset']}: test accuracy {saved['test_accuracy']:.4f}, cached at {path}")


if __name__ == "__main__":
    main()
