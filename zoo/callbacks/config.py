"""The run's resolved config in every checkpoint."""

import lightning as L
from omegaconf import DictConfig, OmegaConf

from zoo.checkpoint import CONFIG_KEY


class StoreConfig(L.Callback):
    """Puts the resolved run config into every checkpoint (under zoo.checkpoint.CONFIG_KEY), so a
    checkpoint alone rebuilds its model (``python -m zoo.sample ckpt_path=...``) even after it is
    moved away from its run dir."""

    def __init__(self, config: DictConfig | dict):
        self.config = OmegaConf.to_container(config, resolve=True) if isinstance(config, DictConfig) else config

    def on_save_checkpoint(self, trainer, pl_module, checkpoint: dict) -> None:
        checkpoint[CONFIG_KEY] = self.config
