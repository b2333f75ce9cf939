"""The one command-line convention of the zoo's entry points (zoo-train, zoo-eval, zoo-sample,
zoo-classifier, zoo-collect): each is ``@hydra.main`` on its own config in conf/ (so each has
``--help``, overrides and ``--cfg job``), wrapped by ``entry_point``, the one place where bad input
becomes one line on stderr and exit code 2.

Bad input is a ``zoo.errors.ConfigError`` raised by the zoo, or Hydra's and OmegaConf's own
refusals (an unknown group option, an unknown key, an override that does not parse, a value of
the wrong type). ``HYDRA_FULL_ERROR=1`` shows the full traceback instead.
"""

import functools
import logging
import os
import sys
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from zoo import sweep
from zoo.errors import ConfigError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "conf"


def run_id() -> str:
    """A run folder's name: the start time to the second, then the process id (unique on a machine
    at any moment: two runs started in the same second get two folders)."""
    return f"{datetime.now():%Y-%m-%d_%H-%M-%S}_{os.getpid()}"


def run_dir(ckpt_path: str | None, base: str) -> str:
    """A run's folder: ``<base>/<run_id>`` for a new run; for a resumed one the folder of its
    checkpoint's run (``<run dir>/checkpoints/<file>``), so it goes on where it was."""
    checkpoint = Path(ckpt_path) if ckpt_path else None
    if checkpoint is not None and checkpoint.parent.name == "checkpoints" and checkpoint.is_file():
        return str(checkpoint.resolve().parent.parent)
    return f"{base}/{run_id()}"


if not OmegaConf.has_resolver("zoo.run_id"):
    OmegaConf.register_new_resolver("zoo.run_id", run_id, use_cache=True)  # one value per process
    OmegaConf.register_new_resolver("zoo.run_dir", run_dir, use_cache=True)


def fail(message: str, code: int = 2) -> None:
    """Print one line naming the problem on stderr and exit non-zero."""
    print(f"zoo: error: {' '.join(message.split())}", file=sys.stderr)
    sys.exit(code)


def group_options(group: str) -> list[str]:
    """The options of a config group: the YAML files in conf/<group>/."""
    return sorted(path.stem for path in (CONFIG_DIR / group).glob("*.yaml"))


def threads_per_job() -> int | None:
    """In a sweep whose launcher runs jobs in parallel (hydra/launcher=joblib), each job's share of
    the CPU cores (cores / parallel jobs), so that the jobs do not fight over them; else None."""
    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        return None
    n_jobs = HydraConfig.get().launcher.get("n_jobs")
    if not n_jobs:
        return None
    cores = os.cpu_count() or 1
    return max(1, cores // (cores if n_jobs < 0 else n_jobs))


def writable_output(out: str, overwrite: bool = False) -> Path:
    """The path a tool writes its result to, its folder created; refused in one line when it exists
    (unless ``overwrite``: a tool never silently replaces a file, least of all a run's results) or
    cannot be written."""
    path = Path(out)
    if path.exists() and not overwrite:
        raise ConfigError(f"out={out} exists: choose another out, or pass overwrite=true to replace it")
    if path.is_dir():
        raise ConfigError(f"out={out} is a folder: give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"out={out} cannot be written ({error.strerror}): choose another place") from error
    if not os.access(path.parent, os.W_OK):
        raise ConfigError(f"out={out} cannot be written (its folder is read-only): choose another place")
    return path


def one_line(error: BaseException) -> str:
    """What a user needs from a refusal, on one line, with the valid choices where they are known."""
    if isinstance(error, MissingConfigException) and error.missing_cfg_file and "/" in error.missing_cfg_file:
        group, option = error.missing_cfg_file.rsplit("/", 1)
        return f"unknown {group} '{option}'; choose one of: {', '.join(error.options or group_options(group))}"
    cause = error.__cause__
    if isinstance(error, ConfigCompositionException) and isinstance(cause, OmegaConfBaseException) and cause.full_key:
        parent = cause.parent_node
        valid = ", ".join(sorted(str(key) for key in parent.keys())) if isinstance(parent, DictConfig) else ""
        if "not in struct" in str(cause) or "Could not override" in str(error):
            return f"unknown setting '{cause.full_key}'" + (f"; valid here: {valid}" if valid else "")
        return f"{cause.full_key}: {str(cause).splitlines()[0]}"
    if isinstance(error, OverrideParseException):
        return f"cannot parse the overrides ({str(error).splitlines()[0]}): write them as key=value or group=option"
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# Start-up lines of Lightning that say nothing about the run (a product tip, the accelerator
# census, which the trainer config already states) and warnings known to be harmless here.
HARMLESS_LINES = ("💡 Tip:", "GPU available:", "TPU available:", "HPU available:", "`Trainer.fit` stopped: `max_steps=")
HARMLESS_WARNINGS = (
    r".*isinstance\(treespec, LeafSpec\).*",  # Lightning 2.6 on torch 2.14, inside Lightning
    r"The number of training batches .* is smaller than the logging interval.*",  # zoo logs per iteration itself
)


class _HarmlessLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(HARMLESS_LINES)


def quiet_start_up() -> None:
    """Silence ``HARMLESS_LINES`` and ``HARMLESS_WARNINGS``; everything else still shows."""
    for name in ("lightning.fabric.utilities.rank_zero", "lightning.pytorch.utilities.rank_zero", "lightning_utilities.core.rank_zero"):
        logging.getLogger(name).addFilter(_HarmlessLines())
    for message in HARMLESS_WARNINGS:
        warnings.filterwarnings("ignore", message=message)


def is_bad_input(error: BaseException) -> bool:
    return isinstance(error, (ConfigError, ConfigCompositionException, OverrideParseException, OmegaConfBaseException))


def entry_point(config_name: str) -> Callable[[Callable[[DictConfig], object]], Callable[[], object]]:
    """Make ``task(cfg)`` a command: ``@hydra.main`` on conf/<config_name>.yaml, with bad input
    (see the module docstring) turned into one line and exit code 2."""

    def wrap(task: Callable[[DictConfig], object]) -> Callable[[], object]:
        @functools.wraps(task)
        def job(cfg: DictConfig) -> object:
            # Refusals inside the job end it here: Hydra would print its own report around them.
            # In a sweep, a failed job is a result (zoo.sweep) and the sweep goes on.
            try:
                return task(cfg)
            except Exception as error:
                if os.environ.get("ZOO_FULL_ERROR") == "1":
                    raise
                message = one_line(error) if is_bad_input(error) else f"{type(error).__name__}: {one_line(error)}"
                if HydraConfig.get().mode == RunMode.MULTIRUN:
                    sweep.record_failure(HydraConfig.get().runtime.output_dir, message)
                    print(f"zoo: error: job {HydraConfig.get().job.num} ({' '.join(HydraConfig.get().overrides.task)}) failed: {message}", file=sys.stderr)
                    return None
                if not is_bad_input(error):
                    raise
                fail(message)

        hydra_main = hydra.main(config_path=str(CONFIG_DIR), config_name=config_name, version_base="1.3")(job)

        @functools.wraps(task)
        def main() -> object:
            full_error = os.environ.get("HYDRA_FULL_ERROR") == "1" or os.environ.get("ZOO_FULL_ERROR") == "1"
            # Hydra prints its own refusals (composing the config) over many lines and exits 1;
            # told to re-raise them instead, it lets this wrapper say them in one line.
            os.environ["HYDRA_FULL_ERROR"] = "1"
            os.environ["ZOO_FULL_ERROR"] = "1" if full_error else "0"
            quiet_start_up()
            try:
                sweep.unfinished.clear()
                result = hydra_main()
                if sweep.unfinished:  # a multirun whose jobs did not all finish: say how many
                    sys.exit(min(len(sweep.unfinished), 100))
                return result
            except Exception as error:
                if full_error:
                    raise
                if is_bad_input(error):
                    fail(one_line(error))
                if isinstance(error, OSError):  # Hydra creating a run dir where a file is, a full disk, ...
                    fail(f"{error.strerror or error}: {error.filename or ''}", code=1)
                raise
            finally:
                if not full_error:
                    os.environ.pop("HYDRA_FULL_ERROR", None)

        return main

    return wrap

