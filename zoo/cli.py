"""The one command-line convention of the zoo's entry points (zoo-train, zoo-eval, zoo-sample,
zoo-classifier, zoo-collect): each is ``@hydra.main`` on its own config in conf/ (so each has
``--help``, overrides and ``--cfg job``), wrapped by ``entry_point``, the one place where bad input
becomes one line on stderr and exit code 2.

Bad input is a ``zoo.errors.ConfigError`` raised by the zoo, or Hydra's and OmegaConf's own
refusals (an unknown group option, an unknown key, an override that does not parse, a value of
the wrong type). ``HYDRA_FULL_ERROR=1`` shows the full traceback instead.
"""

import functools
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import hydra
from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

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


def is_bad_input(error: BaseException) -> bool:
    return isinstance(error, (ConfigError, ConfigCompositionException, OverrideParseException, OmegaConfBaseException))


def entry_point(config_name: str) -> Callable[[Callable[[DictConfig], object]], Callable[[], object]]:
    """Make ``task(cfg)`` a command: ``@hydra.main`` on conf/<config_name>.yaml, with bad input
    (see the module docstring) turned into one line and exit code 2."""

    def wrap(task: Callable[[DictConfig], object]) -> Callable[[], object]:
        @functools.wraps(task)
        def job(cfg: DictConfig) -> object:
            # Refusals inside the job end it here: Hydra would print its own report around them.
            try:
                return task(cfg)
            except Exception as error:
                if os.environ.get("ZOO_FULL_ERROR") == "1" or not is_bad_input(error):
                    raise
                fail(one_line(error))

        hydra_main = hydra.main(config_path=str(CONFIG_DIR), config_name=config_name, version_base="1.3")(job)

        @functools.wraps(task)
        def main() -> object:
            full_error = os.environ.get("HYDRA_FULL_ERROR") == "1" or os.environ.get("ZOO_FULL_ERROR") == "1"
            # Hydra prints its own refusals (composing the config) over many lines and exits 1;
            # told to re-raise them instead, it lets this wrapper say them in one line.
            os.environ["HYDRA_FULL_ERROR"] = "1"
            os.environ["ZOO_FULL_ERROR"] = "1" if full_error else "0"
            try:
                return hydra_main()
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

