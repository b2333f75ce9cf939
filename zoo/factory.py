"""Building objects from configs, with constructor refusals turned into one-line ConfigErrors."""

import lightning as L
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig

import zoo.data  # noqa: F401  (registers the ${zoo.data:...} resolver that the configs use)
from zoo.errors import ConfigError

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
    """The run's data module (``cfg.dataset``); with ``load``, its data read (the data module checks
    them against the shape it declares)."""
    datamodule = build(cfg.dataset, "the dataset")
    if load:
        datamodule.prepare_data()
        datamodule.setup("fit")
    return datamodule
