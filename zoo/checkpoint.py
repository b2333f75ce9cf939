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


# What a checkpoint must share with the run that resumes it: the variant, its losses and packing,
# its nets and their shapes, the data set (except where its files are). Budget, cadence, optimizer
# settings, logging and scoring may change on resume.
RESUME_MUST_MATCH = ("model._target_", "model.pack", "model.d_loss._target_", "model.g_loss._target_", "net", "dataset", "data")
MAY_MOVE = ("dataset.root", "dataset.download", "dataset.num_workers")
# Config groups placed at the top of the config (@package _global_): choosing one on the command
# line may set any key, so with one of them the command line's whole config is the resumed one.
GLOBAL_GROUPS = ("experiment", "debug")


def _flatten(node, prefix: str) -> dict:
    if isinstance(node, dict):
        return {key: value for name, child in node.items() for key, value in _flatten(child, f"{prefix}.{name}").items()}
    return {prefix: node}


def _resolved(node):
    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node


def resume_mismatch(checkpoint: dict, cfg: DictConfig) -> list[str]:
    """The settings (dotted keys) in which the run ``cfg`` differs from the run that wrote
    ``checkpoint``, among those a resumed run must keep (``RESUME_MUST_MATCH``)."""
    stored = OmegaConf.create(checkpoint[CONFIG_KEY])
    differ = []
    for key in RESUME_MUST_MATCH:
        old_flat = _flatten(_resolved(OmegaConf.select(stored, key)), key)
        new_flat = _flatten(_resolved(OmegaConf.select(cfg, key)), key)
        differ += sorted(k for k in old_flat.keys() | new_flat.keys() if old_flat.get(k) != new_flat.get(k) and not k.startswith(MAY_MOVE))
    return differ


def _override_key(override: str) -> str:
    """The dotted key (or group) an override sets: ``+a.b=1`` -> ``a.b``, ``trainer=gpu`` -> ``trainer``."""
    return override.split("=", 1)[0].lstrip("+~").split("@", 1)[0]


def _relocate(node, old: str, new: str):
    """``node`` with every string that starts with the folder ``old`` moved under ``new``."""
    if isinstance(node, dict):
        return {key: _relocate(value, old, new) for key, value in node.items()}
    if isinstance(node, list):
        return [_relocate(value, old, new) for value in node]
    return new + node[len(old) :] if isinstance(node, str) and old and node.startswith(old) else node


def resume_config(checkpoint: dict, cfg: DictConfig, overrides: list[str] | None) -> DictConfig:
    """The config a resumed run goes on with: the checkpoint's own run config, changed only where
    the command line (``overrides``, Hydra's task overrides) says so, in the run dir ``cfg`` writes
    to. So ``ckpt_path=<run>/checkpoints/last.ckpt iterations=20000`` goes on as the same variant
    without repeating its experiment. ``overrides`` None (a caller that composed the whole config
    itself) takes ``cfg`` as it is. Values come resolved from the first run: ``eval_every=500`` on
    resume leaves ``checkpoint_every`` as it was unless it is given too. An override that would
    change what ``RESUME_MUST_MATCH`` names (the model, nets, losses or data) is refused in one
    line."""
    stored = checkpoint[CONFIG_KEY]
    keys = [_override_key(o) for o in overrides or [] if not o.startswith("hydra.")]
    if overrides is None or any(key in GLOBAL_GROUPS for key in keys):
        merged = OmegaConf.create(_resolved(cfg))
    else:
        merged = OmegaConf.create(stored)
        for key in keys:
            value = OmegaConf.select(cfg, key, default=None)
            OmegaConf.update(merged, key, _resolved(value), merge=False, force_add=True)
    differ = resume_mismatch(checkpoint, merged)
    if differ:
        shown = ", ".join(differ[:6]) + (f" and {len(differ) - 6} more" if len(differ) > 6 else "")
        variant = stored["model"]["_target_"].rsplit(".", 1)[-1]
        raise ConfigError(
            f"ckpt_path={cfg.ckpt_path} holds a {variant} run on {stored['dataset']['_target_'].rsplit('.', 1)[-1]}; "
            f"a resume goes on with that run's model, nets, losses and data, so it cannot change {shown} "
            f"(train a new run for that, or resume with only budget, cadence, trainer or logger overrides)"
        )
    old_dir, new_dir = str(stored["paths"]["output_dir"]), str(cfg.paths.output_dir)
    merged = OmegaConf.create(_relocate(OmegaConf.to_container(merged), old_dir, new_dir))
    merged.paths, merged.ckpt_path = _resolved(cfg.paths), cfg.ckpt_path
    return merged
