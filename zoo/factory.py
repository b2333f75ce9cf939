"""Building objects from configs, with constructor refusals turned into one-line ConfigErrors."""

import functools

import lightning as L
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig
from torch import nn

import zoo.data  # noqa: F401  (registers the ${zoo.data:...} resolver that the configs use)
from zoo.errors import ConfigError


def build(node, what: str, **kwargs):
    """instantiate(), with a constructor's refusal (ValueError, TypeError) turned into a ConfigError;
    a module comes back holding plain partials (``plain_partials``)."""
    try:
        built = instantiate(node, **kwargs)
    except InstantiationException as error:
        cause = error.__cause__ or error
        if isinstance(cause, ConfigError):
            raise cause
        raise ConfigError(f"cannot build {what}: {cause}") from error
    if isinstance(built, nn.Module):
        plain_partials(built)
    return built


def plain_partials(module: nn.Module) -> None:
    """Swap the Hydra partials that ``module`` and its submodules hold (``_partial_: true`` losses,
    optimizer factories) for plain ``functools.partial``s of the same function and arguments.

    Hydra 1.3.8's partials re-check its target policy on every call: 0.68 ms per call on this
    project's CPU (cProfile of 1,000 ring8_gan iterations: 1.35 s of 12.8 s), for a loss called at
    every step more than the rest of the zoo's overhead over a hand-written loop. The targets were
    checked once already, when the config was instantiated.
    """
    for child in module.modules():
        for name, value in list(vars(child).items()):
            if isinstance(value, functools.partial) and type(value) is not functools.partial:
                object.__setattr__(child, name, functools.partial(value.func, *value.args, **value.keywords))


def build_datamodule(cfg: DictConfig, load: bool = True) -> L.LightningDataModule:
    """The run's data module (``cfg.dataset``); with ``load``, its data read (the data module checks
    them against the shape it declares)."""
    datamodule = build(cfg.dataset, "the dataset")
    if load:
        datamodule.prepare_data()
        datamodule.setup("fit")
    return datamodule
