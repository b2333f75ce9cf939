"""Where runs write, as the config resolvers conf/hydra uses: a run dir's name, a resumed run's
dir (the one its checkpoint was written in), where Hydra keeps a resume's record, and a sweep
job's folder name. Light on purpose (no torch): zoo.cli imports it before composing any config.
"""

import hashlib
import os
from datetime import datetime
from pathlib import Path

from omegaconf import OmegaConf

from zoo.errors import ConfigError


def run_id() -> str:
    """A run folder's name: the start time to the second, then the process id (unique on a machine
    at any moment: two runs started in the same second get two folders)."""
    return f"{datetime.now():%Y-%m-%d_%H-%M-%S}_{os.getpid()}"


def find_checkpoint(ckpt_path: str, base: str = "outputs/train") -> Path:
    """The checkpoint file ``ckpt_path`` names: ``last`` is the newest ``checkpoints/last.ckpt`` of
    the run dirs under ``base``; a run dir stands for its ``checkpoints/last.ckpt``; anything else is
    the file itself (read_checkpoint says when it is not there)."""
    if ckpt_path == "last":
        found = sorted(Path(base).glob("*/checkpoints/last.ckpt"), key=lambda path: path.stat().st_mtime)
        if not found:
            raise ConfigError(f"ckpt_path=last found no checkpoint in {base}/*/checkpoints/: give the checkpoint's path (or its run dir)")
        return found[-1]
    path = Path(ckpt_path)
    return path / "checkpoints" / "last.ckpt" if (path / "checkpoints" / "last.ckpt").is_file() else path


def resumed_run_dir(ckpt_path: str | None, base: str) -> Path | None:
    """The run dir a checkpoint was written in (``<run dir>/checkpoints/<file>``), or None."""
    try:
        checkpoint = find_checkpoint(ckpt_path, base) if ckpt_path else None
    except ConfigError:  # said in one line when the run starts (zoo.train)
        return None
    if checkpoint is not None and checkpoint.parent.name == "checkpoints" and checkpoint.is_file():
        return checkpoint.resolve().parent.parent
    return None


def run_dir(ckpt_path: str | None, base: str) -> str:
    """A run's folder: ``<base>/<run_id>`` for a new run; for a resumed one the folder of its
    checkpoint's run, so it goes on where it was."""
    resumed = resumed_run_dir(ckpt_path, base)
    return str(resumed) if resumed else f"{base}/{run_id()}"


def record_dir(ckpt_path: str | None, base: str) -> str:
    """Where Hydra writes a run's config record: ``.hydra``; a resume in the first run's folder
    writes its own under ``.hydra/resumed-<run_id>``, so the first record (the run's variant and
    overrides, which zoo.results and zoo.table read) stays as it was."""
    return f".hydra/resumed-{run_id()}" if resumed_run_dir(ckpt_path, base) else ".hydra"


def folder_name(text: str, limit: int = 200) -> str:
    """``text`` (a job's overrides) as one folder name: a "/" (``experiment=pacgan/ring_gan``,
    ``optimized_metric=val/fid``) would nest folders, and names past the file system's 255 bytes
    fail, so long ones end in a hash of the whole instead."""
    name = text.replace("/", "-")
    if len(name.encode()) <= limit:
        return name
    return name.encode()[: limit - 9].decode(errors="ignore") + "-" + hashlib.sha1(text.encode()).hexdigest()[:8]


if not OmegaConf.has_resolver("zoo.run_id"):
    OmegaConf.register_new_resolver("zoo.run_id", run_id, use_cache=True)  # one value per process
    OmegaConf.register_new_resolver("zoo.run_dir", run_dir, use_cache=True)
    OmegaConf.register_new_resolver("zoo.record_dir", record_dir, use_cache=True)
    OmegaConf.register_new_resolver("zoo.folder_name", folder_name)
