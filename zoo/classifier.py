"""Train and cache the domain classifier: ``zoo-classifier dataset=mnist [dataset.root=...]
[epochs=3] [cache_dir=...]``.

It trains the small CNN of zoo.metrics.classifier on the data set's training split (MNIST: over 99%
test accuracy, Fashion-MNIST over 90%, in a few CPU minutes) and stores it under
``<cache_dir>/classifiers/<key>.pt``, the key naming the data set and every training setting, so
the same command a second time only reads it back. zoo.eval and the in-training evaluation use it
for classifier-FID/IS, Stacked-MNIST modes and InfoGAN's code accuracy.
"""

import dataclasses

import torch
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig

from zoo.cli import entry_point
from zoo.metrics.classifier import ClassifierSettings, get_classifier

SETTINGS = tuple(field.name for field in dataclasses.fields(ClassifierSettings))
# conf/classifier.yaml takes the training settings, typed and with their defaults, from this node.
ConfigStore.instance().store(name="classifier_settings", node=ClassifierSettings)


@entry_point("classifier")
def main(cfg: DictConfig) -> None:
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    settings = ClassifierSettings(**{name: cfg[name] for name in SETTINGS})
    path = get_classifier(cfg.dataset, settings, cfg.cache_dir, train=True)
    saved = torch.load(path, map_location="cpu", weights_only=True)
    print(f"zoo: classifier for {saved['dataset']}: test accuracy {saved['test_accuracy']:.4f}, cached at {path}")


if __name__ == "__main__":
    main()
