"""How the domain classifier (zoo.metrics.classifier) is trained: a module of its own, without
torch, because zoo-classifier registers it as its config schema before composing its config."""

from dataclasses import dataclass
from typing import Optional


@dataclass
class ClassifierSettings:
    """How the classifier is trained; every field is part of its cache key. These defaults are
    the zoo's one statement of them: ``python -m zoo.classifier`` overrides them as key=value, and
    the scorers find "the default classifier" of a data set by them.

    seed: initialisation and batch order. epochs: passes over the training split (MNIST: 99.2%
    test accuracy, about 2 CPU minutes). lr: Adam's peak learning rate (one-cycle schedule).
    batch_size: images per step. width: channels of the first conv layer (the second has twice
    as many). n_train: train on the first n_train training images only (None: all).
    """

    seed: int = 0
    epochs: int = 5
    lr: float = 2.0e-3
    batch_size: int = 128
    width: int = 32
    n_train: Optional[int] = None  # Optional, not `int | None`: zoo.classifier hands this class to OmegaConf as a schema
