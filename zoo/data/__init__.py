"""Data modules. Every data set here fits in memory and is batched on the training device.

Importing this package registers the ``zoo.data`` config resolver: ``${zoo.data:kind}`` and
``${zoo.data:shape}`` are what the run's data module (built from the config's ``dataset`` node,
nothing loaded) says about its data, so the nets follow the data set and no YAML repeats it.
"""

from hydra.utils import instantiate
from omegaconf import ListConfig, OmegaConf

from zoo.data.base import InMemoryDataModule, TensorBatches

DESCRIBED = ("kind", "shape")


def describe(attribute: str, *, _root_):
    """The resolver behind ``${zoo.data:<attribute>}``: ``attribute`` of the data module that the
    config's ``dataset`` node builds (its constructor only: no file is read)."""
    if attribute not in DESCRIBED:
        raise ValueError(f"zoo.data describes {', '.join(DESCRIBED)}, not {attribute}")
    value = getattr(instantiate(_root_.dataset), attribute)
    return ListConfig(list(value)) if isinstance(value, tuple) else value


if not OmegaConf.has_resolver("zoo.data"):
    OmegaConf.register_new_resolver("zoo.data", describe)

__all__ = ["InMemoryDataModule", "TensorBatches", "describe"]
