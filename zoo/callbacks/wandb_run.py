"""One Weights & Biases run per job, named, grouped and tagged so that a sweep's runs compare side by
side in W&B's table view.

wandb keeps one run per process, and a multirun (``python -m zoo.train -m ...``) runs its jobs one
after another in one process: left to Lightning's WandbLogger, every job after the first logs into
the first job's run. Here each job starts its own run and ends it, with its results.json as the
run's summary, also when it diverges, trains nothing or raises.

A setting that conf/logger/wandb.yaml leaves null comes from Hydra's record of the job:
- name: ``<experiment, else model>-<dataset>-seed<N>``, then, in a sweep, this job's values of the
  overrides that vary between its jobs (``-model.n_critic=5,iterations=2000``);
- group: the sweep, by its folder's name (outputs/multirun/<time>_<pid>); a single run has none;
- job_type: the variant (the model option); tags: the model, loss, net and dataset options;
- the run's config gets, beside the run config, ``experiment`` and ``overrides`` (the job's own
  command-line overrides, a sweep's values included).
``train(cfg)`` called without Hydra (a test, a notebook) knows none of these: its run is named
``<task_name>-seed<N>``, in no group and with no tags.

The run's identity (its id among it) is kept in every checkpoint, so a resumed job continues the
same W&B run. Without an API key (WANDB_API_KEY, or the ~/.netrc entry ``wandb login`` writes) or
when W&B's host does not answer, the run is offline, and the job ends with the ``wandb sync`` line
that uploads it.
"""

import netrc
import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlparse

import lightning as L
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.types import RunMode
from hydra.utils import get_class
from lightning.pytorch.loggers import Logger, WandbLogger
from lightning.pytorch.utilities import rank_zero_only
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from zoo.errors import Divergence
from zoo.factory import build
from zoo.metrics.names import ITERATION

# The run's entry in checkpoint["callbacks"] (WandbRun.state_key).
STATE_KEY = "WandbRun"
# Overrides left out of a run's name: those the name already says, and where files are (paths.*).
UNNAMED = ("seed", "experiment", "dataset", "dataset.root", "ckpt_path", "paths")
TAGGED = ("model", "loss", "net", "dataset")  # config groups whose options tag a run
LOGIN_HOST = "api.wandb.ai"  # the netrc entry `wandb login` writes for W&B's own servers


class WandbRun(L.Callback):
    """Ties a W&B run to its job: keeps the run's identity (id, name, group, job type, tags, config
    additions) in every checkpoint, where ``resumed_identity`` finds it when the job is resumed,
    and ends the run (failed) when training raises. A divergence is a result, not a crash:
    ``end_wandb_runs`` ends that run with the job's results."""

    def __init__(self, logger: WandbLogger, identity: dict):
        self.wandb_logger, self.identity = logger, identity

    @property
    def state_key(self) -> str:
        return STATE_KEY

    def state_dict(self) -> dict:
        return {**self.identity, "id": self.wandb_logger.version}

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        if not isinstance(exception, Divergence):
            end_run(self.wandb_logger, exit_code=1)


def build_loggers(cfg: DictConfig, callbacks: list, checkpoint: dict | None = None) -> list[Logger]:
    """The loggers of ``cfg.logger``. A W&B logger starts its job's own run at once: named and
    tagged (``run_identity``), or, resuming from ``checkpoint``, the run that checkpoint's job
    logged to; offline by itself (``wandb_mode``); every metric plotted against trainer/iteration.
    ``callbacks`` gains the run's WandbRun callback."""
    loggers = []
    for name, node in (cfg.logger or {}).items():
        if node is None:
            continue
        if not issubclass(get_class(node._target_), WandbLogger):
            loggers.append(build(node, f"logger.{name}"))
            continue
        identity = resumed_identity(checkpoint) or run_identity(cfg)
        unset = {key: value for key, value in identity.items() if key != "config" and node.get(key) is None}
        # wandb's mode, not Lightning's offline flag, which sets WANDB_MODE for every later job of the
        # process. An offline run is silent: the job ends with the one line that uploads it.
        mode = wandb_mode(node.get("offline"))
        quiet = {"settings": {"silent": True}} if mode in ("offline", "dryrun") else {}
        logger = build(node, f"logger.{name}", **unset, **quiet, offline=False, mode=mode, _convert_="all")
        start_run(logger, identity.get("config") or {})
        callbacks.append(WandbRun(logger, {key: value for key, value in identity.items() if key != "id"}))
        loggers.append(logger)
    return loggers


@rank_zero_only
def start_run(logger: WandbLogger, config: dict) -> None:
    """Start ``logger``'s run with ``config`` in its config and trainer/iteration as every metric's
    x-axis. A run an earlier job of this process left open (it raised before its end) is ended
    first, as failed."""
    import wandb  # here: most runs log elsewhere, and importing wandb takes a while

    if wandb.run is not None:
        wandb.run.finish(exit_code=1)
    run = logger.experiment
    run.config.update(config, allow_val_change=True)
    run.define_metric(ITERATION)
    run.define_metric("*", step_metric=ITERATION, step_sync=True)


@rank_zero_only
def end_run(logger: WandbLogger, exit_code: int, summary: dict | None = None) -> None:
    """Finish ``logger``'s run with ``summary`` added to its summary; for an offline run, say on
    one line how to upload it."""
    run = logger.experiment
    if summary:
        run.summary.update(summary)
    offline, name, sync_dir = run.offline, run.name, run.sync_dir
    run.finish(exit_code=exit_code)
    if offline:
        print(f"zoo: the W&B run {name} is offline; upload it with: wandb sync {sync_dir}", file=sys.stderr)


def end_wandb_runs(loggers: list[Logger], results: dict) -> None:
    """End the job's W&B runs with its results (status, iterations, final scores) as their summary,
    the row each gets in W&B's table; failed unless the job's status is ok."""
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            end_run(logger, 0 if results["status"] == "ok" else 1, results)


def resumed_identity(checkpoint: dict | None) -> dict | None:
    """The W&B run identity a checkpoint's job kept (WandbRun's state), or None."""
    return (checkpoint or {}).get("callbacks", {}).get(STATE_KEY) or None


def run_identity(cfg: DictConfig) -> dict:
    """The name, group, job type, tags and config additions of the job's run (module docstring)."""
    if not HydraConfig.initialized():
        return {"name": f"{cfg.task_name}-seed{cfg.seed}", "tags": [], "config": {"experiment": None, "overrides": []}}
    hydra = HydraConfig.get()
    choices = OmegaConf.to_container(hydra.runtime.choices)
    overrides = list(hydra.overrides.task)
    sweep = hydra.mode == RunMode.MULTIRUN
    named = swept(overrides, Path(hydra.sweep.dir) / "multirun.yaml") if sweep else []
    name = "-".join([choices.get("experiment") or choices["model"], choices["dataset"], f"seed{cfg.seed}"])
    return {
        "name": name + (f"-{','.join(named)}" if named else ""),
        "group": Path(hydra.sweep.dir).name if sweep else None,
        "job_type": choices["model"],
        "tags": list(dict.fromkeys(choices[group] for group in TAGGED if choices.get(group))),
        "config": {"experiment": choices.get("experiment"), "overrides": overrides},
    }


def swept(overrides: list[str], record: Path) -> list[str]:
    """Those of a sweep job's ``overrides`` that vary between the sweep's jobs (a sweep in the
    sweep's ``record``, its multirun.yaml; all of them when it cannot be read), but for UNNAMED."""
    parser = OverridesParser.create()
    try:
        varying = {o.key_or_group for o in parser.parse_overrides(list(OmegaConf.load(record).hydra.overrides.task)) if o.is_sweep_override()}
    except (OSError, OmegaConfBaseException):
        varying = None
    return [
        o.input_line for o in parser.parse_overrides(overrides)
        if (varying is None or o.key_or_group in varying) and o.key_or_group.split(".")[0] != "paths" and o.key_or_group not in UNNAMED
    ]  # fmt: skip


def wandb_mode(offline: bool | None) -> str:
    """wandb.init's mode: "offline" for ``offline`` true, "online" for false; for null, WANDB_MODE
    when it is set, else "offline" unless there is an API key and W&B's host answers within a
    second. (Passed on rather than left to wandb, which reads the environment once a process.)"""
    if offline is not None:
        return "offline" if offline else "online"
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    return "online" if has_api_key() and host_answers() else "offline"


def _base_url() -> str:
    import wandb

    return os.environ.get("WANDB_BASE_URL") or wandb.Settings().base_url


def has_api_key() -> bool:
    """Whether wandb has an API key: WANDB_API_KEY, or a netrc entry (NETRC, else ~/.netrc) for
    its host or for api.wandb.ai, where ``wandb login`` writes it."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        entries = netrc.netrc(os.environ.get("NETRC"))
    except (OSError, netrc.NetrcParseError):  # no netrc file, or one that cannot be read
        return False
    return any(entries.authenticators(host) for host in (urlparse(_base_url()).netloc, LOGIN_HOST))


def host_answers(timeout: float = 1.0) -> bool:
    """Whether W&B's host accepts a connection within ``timeout`` seconds."""
    url = urlparse(_base_url())
    try:
        socket.create_connection((url.hostname, url.port or (80 if url.scheme == "http" else 443)), timeout=timeout).close()
    except OSError:  # no network, no name resolution, or nothing listening
        return False
    return True
