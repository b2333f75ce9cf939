"""The one command-line convention of the zoo's entry points (zoo-train, zoo-eval, zoo-sample,
zoo-classifier, zoo-collect, zoo-table, zoo-fdiv, zoo-report): each is ``@hydra.main`` on its own
config in conf/ (so each has ``--help``, overrides and ``--cfg job``), made by ``command`` (which
imports the work only once the config is composed) around ``entry_point``, the one place where bad
input becomes one line on stderr and exit code 2. Also how a sweep's jobs run (threads, DDP inside
a multirun, what a failed job returns to an optimising sweeper).

Bad input is a ``zoo.errors.ConfigError`` raised by the zoo, or Hydra's and OmegaConf's own
refusals (an unknown group option, an unknown key, an override that does not parse, a value of
the wrong type). ``HYDRA_FULL_ERROR=1`` shows the full traceback instead.
"""

import contextlib
import functools
import importlib
import logging
import math
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, read_write
from omegaconf.errors import OmegaConfBaseException

from zoo import rundirs, sweep  # noqa: F401 (rundirs registers the run-dir resolvers conf/hydra uses)
from zoo.errors import ConfigError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "conf"


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


# What Lightning's DDP launcher sets in its own process's environment.
DDP_VARIABLES = ("MASTER_ADDR", "MASTER_PORT", "NODE_RANK", "LOCAL_RANK", "WORLD_SIZE")


@contextlib.contextmanager
def as_single_run():
    """Inside a multirun job, make the command line look like this one job's, so that whatever
    re-runs it starts the job and not the sweep again.

    Lightning's DDP launcher starts ranks 1.. as ``sys.argv`` plus ``hydra.run.dir=<run.dir>``:
    under ``-m`` every rank would launch the whole sweep again, in a sweep folder of its own. Here
    ``sys.argv`` is the job's overrides and ``hydra.run.dir`` its sweep folder while the job runs.
    The launcher also leaves its rendezvous (``LOCAL_RANK``, ``MASTER_PORT``, ...) in this
    process's environment, where the next job would take it for ranks started by a cluster and
    wait for them forever: it is removed when the job ends.
    """
    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        yield
        return
    hydra_cfg, argv = HydraConfig.get(), sys.argv[:]
    run_dir_setting = OmegaConf.to_container(hydra_cfg.run)["dir"]  # unresolved
    sys.argv = [sys.argv[0], *hydra_cfg.overrides.task]
    with read_write(hydra_cfg):
        hydra_cfg.run.dir = hydra_cfg.runtime.output_dir
    environment = {name: os.environ.get(name) for name in DDP_VARIABLES}
    try:
        yield
    finally:
        sys.argv = argv
        for name, value in environment.items():
            os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)
        with read_write(hydra_cfg):
            hydra_cfg.run.dir = run_dir_setting


def failed_objective() -> float:
    """What a job that did not finish returns to a sweeper that optimises (hydra/sweeper=optuna):
    the worst value for its direction, so the study goes on (Optuna 2's sweeper stops the whole
    sweep at a NaN); NaN under any other sweeper."""
    direction = HydraConfig.get().sweeper.get("direction") if HydraConfig.initialized() else None
    return {"minimize": math.inf, "maximize": -math.inf}.get(str(direction).rsplit(".", 1)[-1].lower(), math.nan)


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
        logger = logging.getLogger(name)
        if not any(isinstance(existing, _HarmlessLines) for existing in logger.filters):
            logger.addFilter(_HarmlessLines())
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
            quiet_start_up()  # again: a parallel launcher runs the job in a fresh process
            try:
                return task(cfg)
            except Exception as error:
                if os.environ.get("ZOO_FULL_ERROR") == "1":
                    raise
                message = one_line(error) if is_bad_input(error) else f"{type(error).__name__}: {one_line(error)}"
                if HydraConfig.get().mode == RunMode.MULTIRUN:
                    sweep.record_failure(HydraConfig.get().runtime.output_dir, message)
                    print(f"zoo: error: job {HydraConfig.get().job.num} ({' '.join(HydraConfig.get().overrides.task)}) failed: {message}", file=sys.stderr)
                    return failed_objective()
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
            except sweep.SweepStopped as stop:  # a signal stopped a job: the jobs that ran, summarised
                sweep.summarise(stop.sweep_dir)
                sys.exit(128 + stop.signum)
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



def command(config_name: str, job: str) -> Callable[[], object]:
    """A zoo command: ``entry_point(config_name)`` running ``<job module>.run(cfg)``, the job module
    imported only once the config is composed, so ``--help``, ``--cfg`` and refused overrides
    answer in a fraction of a second instead of first importing torch and Lightning."""

    def run(cfg: DictConfig) -> object:
        return importlib.import_module(job).run(cfg)

    run.__name__, run.__qualname__, run.__doc__ = config_name, config_name, f"zoo-{config_name}: runs {job}.run"
    run.__module__ = f"zoo.{config_name}"  # Hydra names the job (and its <job>.log) after the module
    launch = entry_point(config_name)(run)

    @functools.wraps(launch)
    def main() -> object:
        if {"-m", "--multirun"} & set(sys.argv[1:]):
            # A parallel launcher (joblib) resets each job's OmegaConf resolvers to this process's
            # (Hydra's Singleton state): those the job's modules register (zoo.data's) must be here.
            importlib.import_module(job)
        return launch()

    return main
