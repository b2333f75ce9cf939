"""Train and cache the domain classifier: ``zoo-classifier dataset=mnist [dataset.root=...]
[epochs=3] [cache_dir=...]``.

It trains the small CNN of zoo.metrics.classifier on the data set's training split (MNIST: over 99%
test accuracy, Fashion-MNIST over 90%, in a few CPU minutes) and stores it under
``<cache_dir>/classifiers/<key>.pt``, the key naming the data set and every training setting, so
the same command a second time only reads it back. zoo.eval and the in-training evaluation use it
for classifier-FID/IS, Stacked-MNIST modes and InfoGAN's code accuracy.
"""

from hydra.core.config_store import ConfigStore

from zoo.cli import command
from zoo.metrics.classifier_settings import ClassifierSettings

# conf/classifier.yaml takes the training settings, typed and with their defaults, from this node.
ConfigStore.instance().store(name="classifier_settings", node=ClassifierSettings)

main = command("classifier", "zoo.jobs.classifier")

if __name__ == "__main__":
    main()
