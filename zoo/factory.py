"""Building objects from configs, with constructor refusals turned into one-line ConfigErrors."""

import lightning as L
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from zoo.errors import ConfigError

# Keys of a dataset config that describe the data rather than being constructor arguments.
DATASET_METADATA = ("kind", "shape")


def build(node, what: str, **kwargs):
    """instantiate(), with a constructor's refusal (ValueError, TypeError) turned into a ConfigError."""
    try:
        return instantiate(node, **kwargs)
    except InstantiationException as error:
        cause = error.__cause__ or error
        if isinstance(cause, ConfigError):
            raise cause
        raise ConfigError(f"cannot build {what}: {cause}") from error


def build_datamodule(cfg: DictConfig, load: bool = True) -> L.LightningDataModule:
    """The run's data module; with ``load``, its data read and checked against the shape the
    config promises the nets."""
    arguments = OmegaConf.to_container(cfg.dataset, resolve=True)
    datamodule = build({k: v for k, v in arguments.items() if k not in DATASET_METADATA}, "the dataset")
    if load:
        datamodule.prepare_data()
        datamodule.setup("fit")
        if list(datamodule.shape) != list(cfg.dataset.shape):
            raise ConfigError(f"dataset.shape={list(cfg.dataset.shape)} but the data has shape {list(datamodule.shape)}")
    return datamodule
