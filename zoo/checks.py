"""Checks of a composed config that run before anything is built or trained.

A validation pass over a table of typed, ranged settings (``RULES``): every wrong type or range
becomes one ConfigError naming the key, the value and what is allowed. Settings a config does not
have (another variant's, another data set's) are skipped. Hand-written rather than structured
configs because the settings live in many YAML groups whose nodes are ``_target_`` arguments; one
table checks them all in one place.
"""

import math
import os
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from zoo.errors import ConfigError

_ABSENT = object()


@dataclass(frozen=True)
class Rule:
    """What a setting may be: a whole number or a number, within [low, high] (``open`` excludes
    the bounds), or null when ``nullable``; or one of ``choices``."""

    kind: str = "int"  # int, number, bool or choice
    low: float | None = None
    high: float | None = None
    open: bool = False
    nullable: bool = False
    choices: tuple = ()

    def allowed(self) -> str:
        if self.kind == "choice":
            return f"one of {', '.join(map(str, self.choices))}"
        if self.kind == "bool":
            return "true or false"
        noun = "a whole number" if self.kind == "int" else "a number"
        bounds = []
        if self.low is not None:
            bounds.append(f"{'>' if self.open else '>='} {self.low:g}")
        if self.high is not None:
            bounds.append(f"{'<' if self.open else '<='} {self.high:g}")
        return f"{noun} {' and '.join(bounds)}".strip() + (" or null" if self.nullable else "")

    def accepts(self, value) -> bool:
        if value is None:
            return self.nullable
        if self.kind == "choice":
            return value in self.choices
        if self.kind == "bool":
            return isinstance(value, bool)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (self.kind == "int" and not isinstance(value, int)):
            return False
        if not math.isfinite(value):
            return False
        below = self.low is not None and (value <= self.low if self.open else value < self.low)
        above = self.high is not None and (value >= self.high if self.open else value > self.high)
        return not (below or above)


WHOLE = Rule("int", low=1)
COUNT = Rule("int", low=0)
POSITIVE = Rule("number", low=0, open=True)
NON_NEGATIVE = Rule("number", low=0)
PROBABILITY = Rule("number", low=0, high=1)

RULES: dict[str, Rule] = {
    "seed": COUNT,
    "iterations": Rule("int", low=1, nullable=True),
    "eval_every": WHOLE,
    "checkpoint_every": WHOLE,
    "threads": Rule("int", low=1, nullable=True),
    "iterations_per_step": WHOLE,
    "ema": Rule("bool"),
    "ema_decay": Rule("number", low=0, high=1, open=True),
    "dataset.batch_size": WHOLE,
    "dataset.n_samples": WHOLE,
    "dataset.size": WHOLE,
    "dataset.limit": Rule("int", low=1, nullable=True),
    "dataset.sigma": POSITIVE,
    "dataset.radius": POSITIVE,
    "dataset.spacing": POSITIVE,
    "dataset.n_modes": WHOLE,
    "dataset.side": WHOLE,
    "dataset.download": Rule("bool"),
    "net.latent_dim": WHOLE,
    "net.generator.hidden": WHOLE,
    "net.generator.depth": WHOLE,
    "net.generator.width": WHOLE,
    "net.discriminator.hidden": WHOLE,
    "net.discriminator.depth": WHOLE,
    "net.discriminator.width": WHOLE,
    "model.n_critic": WHOLE,
    "model.n_fixed": WHOLE,
    "model.pack": WHOLE,
    "model.instance_noise": NON_NEGATIVE,
    "model.clip": POSITIVE,
    "model.gp_weight": NON_NEGATIVE,
    "model.margin": POSITIVE,
    "model.pt_weight": NON_NEGATIVE,
    "model.gamma": NON_NEGATIVE,
    "model.fake_weight": NON_NEGATIVE,
    "model.info_weight": NON_NEGATIVE,
    "model.continuous_weight": NON_NEGATIVE,
    "model.n_categories": WHOLE,
    "model.n_continuous": COUNT,
    "loss.real_label": PROBABILITY,
    "trainer.accelerator": Rule("choice", choices=("cpu", "gpu", "cuda", "mps", "auto")),
    "trainer.log_every_n_steps": WHOLE,
    "trainer.max_epochs": Rule("int", low=1, nullable=True),
    "trainer.num_nodes": WHOLE,
    "trainer.precision": Rule("choice", choices=("32-true", "32", 32, "bf16-mixed", "16-mixed", "bf16-true", "16-true", "64-true", 64, 16, "16", "bf16"), nullable=True),  # null: a precision plugin in trainer.plugins (precision=fp16_cpu)
}


def check_value(key: str, value, rule: Rule) -> None:
    if not rule.accepts(value):
        raise ConfigError(f"{key} must be {rule.allowed()}, got {value!r}")


def _optimizers(node, path: str):
    """(dotted path, settings) of every node under ``node`` (a plain container: interpolations
    such as the nets' ``${data.shape}`` are not resolved here) that sets a learning rate ``lr``."""
    if isinstance(node, dict):
        if "lr" in node:
            yield path, node
        for key, value in node.items():
            yield from _optimizers(value, f"{path}.{key}")


def check_config(cfg: DictConfig) -> None:
    """Refuse impossible or meaningless settings before training starts."""
    for key, rule in RULES.items():
        value = OmegaConf.select(cfg, key, default=_ABSENT)
        if value is not _ABSENT:
            check_value(key, value, rule)
    for path, optimizer in _optimizers(OmegaConf.to_container(cfg.model, resolve=False), "model"):
        check_value(f"{path}.lr", optimizer["lr"], POSITIVE)
        if isinstance(optimizer.get("betas"), list):
            for i, beta in enumerate(optimizer["betas"]):
                check_value(f"{path}.betas[{i}]", beta, Rule("number", low=0, high=1, open=False))
    pack, batch_size = OmegaConf.select(cfg, "model.pack", default=1), OmegaConf.select(cfg, "dataset.batch_size", default=None)
    if isinstance(batch_size, int) and batch_size % pack:
        raise ConfigError(f"dataset.batch_size={batch_size} is not divisible by model.pack={pack}: D judges each batch in groups of model.pack samples")
    if cfg.iterations is None and not cfg.trainer.get("max_epochs"):
        raise ConfigError("no training budget: set iterations (generator updates) or trainer.max_epochs")
    devices = cfg.trainer.get("devices")
    if not (devices == "auto" or (isinstance(devices, int) and not isinstance(devices, bool) and devices >= 1) or OmegaConf.is_list(devices)):
        raise ConfigError(f"trainer.devices must be a whole number >= 1, a list of device indices or auto, got {devices!r}")
    if cfg.get("ckpt_path") and not Path(cfg.ckpt_path).is_file():
        raise ConfigError(f"ckpt_path={cfg.ckpt_path} does not exist")
    check_output_dir(Path(cfg.paths.output_dir))


def check_output_dir(path: Path) -> None:
    """The run dir must be a folder this process can write (created here if missing)."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"the run dir {path} is a file, not a folder: choose another hydra.run.dir")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"the run dir {path} cannot be created ({error.strerror}): choose another hydra.run.dir") from error
    if not os.access(path, os.W_OK):
        raise ConfigError(f"the run dir {path} is not writable: choose another hydra.run.dir")
