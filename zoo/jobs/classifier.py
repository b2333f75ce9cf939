"""The work of ``zoo-classifier`` (zoo/classifier.py is the command and says what it does)."""

import dataclasses

import torch
from omegaconf import DictConfig

from zoo.metrics.classifier import ClassifierSettings, get_classifier

SETTINGS = tuple(field.name for field in dataclasses.fields(ClassifierSettings))


def run(cfg: DictConfig) -> None:
    """``zoo-classifier`` on its composed config."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    settings = ClassifierSettings(**{name: cfg[name] for name in SETTINGS})
    path = get_classifier(cfg.dataset, settings, cfg.cache_dir, train=True)
    saved = torch.load(path, map_location="cpu", weights_only=True)
    print(f"zoo: classifier for {saved['dataset']}: test accuracy {saved['test_accuracy']:.4f}, cached at {path}")
