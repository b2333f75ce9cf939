"""The domain classifier: a small CNN the zoo trains on a labelled data set and caches.

It scores digit data where the ImageNet Inception network is a poor judge and costs 0.17 s per
image on a CPU: classifier-FID (its penultimate features) and classifier-IS (its logits), as in
the GAN papers that score MNIST with an MNIST classifier; Stacked-MNIST's mode count and KL (each
channel classified, VEEGAN / PacGAN); InfoGAN's matched accuracy (``predict_labels``).

A trained classifier is stored under ``<cache>/classifiers/<key>.pt``, the key naming the data set
and every setting that changes the network (``ClassifierSettings``), so asking again only reads it
back. ``python -m zoo.classifier`` trains one from the command line.
"""

import dataclasses
import hashlib
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from hydra.utils import get_class
from torch import Tensor, nn

from zoo.errors import ConfigError
from zoo.metrics.classifier_settings import ClassifierSettings
from zoo.atomic import write_atomically
from zoo.metrics.reference import arguments_of, cache_dir, dataset_id, split_datamodule


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
        network's input, in channels_last (see ``load_classifier``). Three channels become one by
        their mean when it reads greyscale (the scorers repeat greyscale over RGB)."""
        x = images.float() / 127.5 - 1 if images.dtype == torch.uint8 else images.float()
        x = x.to(self.head.weight.device)
        channels = self.config["in_channels"]
        if x.shape[1] != channels:
            x = x.mean(1, keepdim=True) if channels == 1 else x.expand(-1, channels, -1, -1)
        size = self.config["size"]
        if x.shape[-1] != size:
            x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        return x.contiguous(memory_format=torch.channels_last)


def load_classifier(path: str | Path) -> DigitClassifier:
    """A classifier saved by ``get_classifier``, in eval mode."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"classifier file {path} does not exist: train it with python -m zoo.classifier dataset=<name>")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = DigitClassifier(**saved["config"])
    model.load_state_dict(saved["state_dict"])
    # channels_last weights and inputs (``prepare``): oneDNN's CPU convolutions ran this network
    # 1.7x as fast as on contiguous tensors (10,000 28x28 images, one thread, 4.5 -> 2.6 s), which
    # cuts the in-training FID's cost; the features agree to float rounding.
    return model.to(memory_format=torch.channels_last).eval().requires_grad_(False)


@torch.no_grad()
def predict_labels(classifier: DigitClassifier, images: Tensor, batch_size: int = 1024) -> Tensor:
    """Predicted class of each image ((N, C, H, W), float in [-1, 1] or uint8): what InfoGAN's
    matched accuracy and Stacked-MNIST's per-channel labels need."""
    return torch.cat([classifier(classifier.prepare(chunk)).argmax(1).cpu() for chunk in images.split(batch_size)])


def classifier_key(dataset_cfg, settings: ClassifierSettings) -> str:
    """Cache key: the data set's id, plus a hash of the settings that change the network."""
    digest = hashlib.sha1(json.dumps(dataclasses.asdict(settings), sort_keys=True).encode()).hexdigest()[:8]
    return f"{dataset_id(dataset_cfg)}-{digest}"


def classifier_path(dataset_cfg, settings: ClassifierSettings, cache: str | Path | None = None) -> Path:
    """Where the classifier of ``dataset_cfg`` trained with ``settings`` is cached."""
    return Path(cache or cache_dir()) / "classifiers" / f"{classifier_key(dataset_cfg, settings)}.pt"


def labelled_split(dataset_cfg, split: str) -> tuple[Tensor, Tensor]:
    """(images, labels) of one split of a data set, refused in one line when it has no labels."""
    datamodule, _ = split_datamodule(dataset_cfg, split)
    datamodule.prepare_data()
    datamodule.setup()
    if datamodule.labels is None:
        raise ConfigError(f"dataset {dataset_id(dataset_cfg)} has no labels to train a classifier on")
    return datamodule.data, datamodule.labels


def train_classifier(dataset_cfg, settings: ClassifierSettings, log=print) -> tuple[DigitClassifier, float]:
    """Train on the data set's training split (the first ``n_train`` images, all when None) with
    Adam, and return (classifier, accuracy on its test split). A data set without splits is both."""
    images, labels = labelled_split(dataset_cfg, "train")
    test_images, test_labels = labelled_split(dataset_cfg, "test")
    if settings.n_train:
        images, labels = images[: settings.n_train], labels[: settings.n_train]
    batch_size, epochs = settings.batch_size, settings.epochs
    generator = torch.Generator().manual_seed(settings.seed)
    torch.manual_seed(settings.seed)
    model = DigitClassifier(images.shape[1], images.shape[-1], int(labels.max()) + 1, settings.width)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, settings.lr, total_steps=epochs * (len(images) // batch_size))
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


def get_classifier(dataset_cfg, settings: ClassifierSettings | None = None, cache: str | Path | None = None,
                   train: bool = False, log=print) -> Path:
    """The cached classifier file for ``dataset_cfg`` and ``settings`` (None: the defaults);
    trains and stores it first when ``train`` is true and it is missing, else refuses in one line
    naming the command."""
    settings = settings or ClassifierSettings()
    path = classifier_path(dataset_cfg, settings, cache)
    if path.is_file():
        return path
    if not train:
        raise ConfigError(
            f"no trained classifier for {dataset_id(dataset_cfg)} in {path.parent}: "
            f"run python -m zoo.classifier dataset=<name> (with the same dataset.* settings) first"
        )
    model, accuracy = train_classifier(dataset_cfg, settings, log=log)
    saved = {"config": model.config, "state_dict": model.state_dict(), "test_accuracy": accuracy,
             "settings": dataclasses.asdict(settings), "dataset": dataset_id(dataset_cfg)}  # fmt: skip
    write_atomically(path, lambda tmp: torch.save(saved, tmp))
    return path


def default_classifier(dataset_cfg, cache: str | Path | None = None, train: bool = False, log=print) -> Path:
    """The cached default classifier that scores ``dataset_cfg``'s images: the data set's own, or,
    for a data set whose channels are drawn from a torchvision data set (``channel_dataset``:
    Stacked MNIST's is MNIST), that data set's, applied to each channel."""
    arguments = arguments_of(dataset_cfg)
    channel_dataset = get_class(arguments["_target_"]).channel_dataset
    if channel_dataset is not None:  # its root, download and size are the channel data set's
        shared = {name: arguments[name] for name in ("root", "download", "size") if name in arguments}
        arguments = {"_target_": "zoo.data.images.TorchvisionImages", "name": channel_dataset, **shared}
    return get_classifier(arguments, cache=cache, train=train, log=log)
