"""What a zoo checkpoint holds beyond Lightning's own keys, and the generator rebuilt from one.

A zoo checkpoint is Lightning's (weights, optimizer and callback states) plus the resolved run
config under ``CONFIG_KEY`` (zoo.callbacks.StoreConfig puts it there), so the checkpoint alone
rebuilds its model wherever it is moved. A run with ``ema: true`` also keeps the EMA generator
(zoo.callbacks.EMAGenerator) in its callback state under ``EMA_STATE_KEY``.
"""

from pathlib import Path

import torch
from omegaconf import DictConfig, OmegaConf

from zoo.data.files import one_line
from zoo.errors import ConfigError
from zoo.factory import build
from zoo.models.base import GANModule

# The resolved run config in every zoo checkpoint.
CONFIG_KEY = "zoo_config"
# The EMA generator's entry in checkpoint["callbacks"] (EMAGenerator.state_key). Its value is the
# key Lightning gave that callback by default, so checkpoints written before it was fixed still load.
EMA_STATE_KEY = "EMAGenerator"


def check_device(device: str) -> torch.device:
    """``device`` as a torch.device, or a one-line refusal when it is not one or not here."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ConfigError(f"device={device} is not a device; choose cpu or cuda (cuda:N)") from error
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device={device} but this machine has no CUDA device: use device=cpu")
    if parsed.type not in ("cpu", "cuda"):
        raise ConfigError(f"device={device} is not supported; choose cpu or cuda")
    return parsed


def read_checkpoint(ckpt_path: str | Path, device: str = "cpu") -> dict:
    """A zoo checkpoint's contents, or a one-line ConfigError when the file is missing, unreadable
    or not a zoo checkpoint. Read with ``weights_only=True``: tensors and plain containers only,
    which is all the zoo stores, so a foreign file cannot run code on loading."""
    check_device(device)
    path = Path(ckpt_path)
    if not path.is_file():
        raise ConfigError(f"ckpt_path={ckpt_path} does not exist")
    try:
        checkpoint = torch.load(path, map_location=device, weights_only=True)
    except Exception as error:  # torch raises several types for truncated or foreign files
        # weights_only refuses in a paragraph of advice; the reason is its first sentence after "WeightsUnpickler error:".
        reason = one_line(error).split("WeightsUnpickler error: ")[-1].split(" Check the documentation")[0].split(". ")[0]
        raise ConfigError(f"ckpt_path={ckpt_path} is not a readable checkpoint ({type(error).__name__}: {reason})") from error
    if not isinstance(checkpoint, dict) or CONFIG_KEY not in checkpoint:
        raise ConfigError(f"ckpt_path={ckpt_path} is not a zoo checkpoint (it carries no run config)")
    return checkpoint


def ema_generator_state(checkpoint: dict) -> dict | None:
    """The EMA generator's state_dict stored in a checkpoint, or None (no EMA callback, or a
    disabled one, whose state is empty)."""
    state = checkpoint.get("callbacks", {}).get(EMA_STATE_KEY)
    return state["generator"] if state else None


def load_generator(ckpt_path: str | Path, device: str = "cpu", ema: bool | None = None) -> tuple[GANModule, DictConfig]:
    """(model in eval mode, its run config) rebuilt from a zoo checkpoint.

    ``ema``: load the EMA generator the run kept (``ema: true`` in training) into the model; None
    does so when the checkpoint has one, true refuses a checkpoint without one, false never does.
    """
    checkpoint = read_checkpoint(ckpt_path, device)
    cfg = OmegaConf.create(checkpoint[CONFIG_KEY])
    model = build(cfg.model, "the model")
    model.load_state_dict(checkpoint["state_dict"])
    averaged = ema_generator_state(checkpoint)
    if ema and averaged is None:
        raise ConfigError(f"ckpt_path={ckpt_path} holds no EMA generator (train with ema=true), so ema=true cannot be met; use ema=false")
    if averaged is not None and ema is not False:
        model.generator.load_state_dict(averaged)
    return model.to(device).eval(), cfg


# What a checkpoint must share with the run that resumes it: the variant, its nets and their
# shapes, the data set. (Budget, cadence, logging and scoring may change on resume.)
RESUME_MUST_MATCH = ("model._target_", "net", "dataset._target_", "data")


def _flatten(node, prefix: str) -> dict:
    if isinstance(node, dict):
        return {key: value for name, child in node.items() for key, value in _flatten(child, f"{prefix}.{name}").items()}
    return {prefix: node}


def resume_mismatch(checkpoint: dict, cfg: DictConfig) -> list[str]:
    """The settings (dotted keys) in which the run ``cfg`` differs from the run that wrote
    ``checkpoint``, among those a resumed run must keep (``RESUME_MUST_MATCH``)."""
    stored = OmegaConf.create(checkpoint[CONFIG_KEY])
    differ = []
    for key in RESUME_MUST_MATCH:
        old, new = OmegaConf.select(stored, key), OmegaConf.select(cfg, key)
        old = OmegaConf.to_container(old, resolve=True) if OmegaConf.is_config(old) else old
        new = OmegaConf.to_container(new, resolve=True) if OmegaConf.is_config(new) else new
        old_flat, new_flat = _flatten(old, key), _flatten(new, key)
        differ += sorted(k for k in old_flat.keys() | new_flat.keys() if old_flat.get(k) != new_flat.get(k))
    return differ
