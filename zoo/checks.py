"""Checks of a composed config that run before anything is built or trained.

Each failure is a ConfigError whose message names the setting, the problem and the way out.
"""

from pathlib import Path

from omegaconf import DictConfig

from zoo.errors import ConfigError


def _optimizers(node, path: str):
    """(dotted path, config) of every torch.optim factory under ``node``."""
    if isinstance(node, DictConfig):
        if str(node.get("_target_", "")).startswith("torch.optim."):
            yield path, node
        for key, value in node.items():
            yield from _optimizers(value, f"{path}.{key}")


def check_config(cfg: DictConfig) -> None:
    """Refuse impossible or meaningless settings before training starts."""
    dataset, net = cfg.dataset, cfg.net

    if dataset.batch_size is None or dataset.batch_size <= 0:
        raise ConfigError(f"dataset.batch_size must be a positive integer, got {dataset.batch_size}")
    for path, optimizer in _optimizers(cfg.model, "model"):
        lr = optimizer.get("lr")
        if lr is not None and lr <= 0:
            raise ConfigError(f"{path}.lr must be positive, got {lr}")

    if net.images and dataset.kind == "points":
        if net.generator._target_.startswith("zoo.nets.mlp"):
            raise ConfigError("net.images=true but the dataset holds 2-D points: set net.images=false")
        raise ConfigError(f"the {_net_name(net)} net is for images but the dataset holds 2-D points: choose net=mlp")
    if not net.images and dataset.kind == "images":
        raise ConfigError(
            f"the {_net_name(net)} net is for 2-D points but the dataset holds images: choose net=dcgan, "
            "or set net.images=true to run the MLP on flattened images"
        )

    if cfg.iterations is None and not cfg.trainer.get("max_epochs"):
        raise ConfigError("no training budget: set iterations (generator updates) or trainer.max_epochs")
    if cfg.iterations is not None and cfg.iterations <= 0:
        raise ConfigError(f"iterations must be a positive number of generator updates, got {cfg.iterations}")
    if cfg.get("ckpt_path") and not Path(cfg.ckpt_path).is_file():
        raise ConfigError(f"ckpt_path={cfg.ckpt_path} does not exist")


def _net_name(net: DictConfig) -> str:
    return net.generator._target_.rsplit(".", 1)[-1].removesuffix("Generator").lower()
