"""Sweeps that survive their bad jobs, and say how they went.

Under ``-m`` a job that fails (bad settings, a crash) writes results.json with status "failed" and
its one-line error, and the sweep goes on to the next job (zoo.cli.entry_point); a diverged run is
a result already. When the sweep ends, ``SweepSummary`` (a Hydra callback, conf/hydra/default.yaml)
writes ``summary.md`` next to multirun.yaml, the table of zoo.results, and the command exits with
the number of jobs that failed or were interrupted (0 when none was; a diverged run is a result).

A signal (SIGTERM from a scheduler, Ctrl-C) is not a bad job: it asks the process to end. When one
stops a job of a sweep that runs its jobs one after another in this process (Hydra's basic
launcher), the job saves and says "interrupted" as a single run does, and the sweep then stops
too (``SweepStopped``): the jobs after it are not started, summary.md lists those that ran, and the
command exits with 128 + the signal's number.
"""

import json
import sys
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from zoo.errors import ConfigError
from zoo.results import collect, table

# The jobs of the last sweep of this process that failed or were interrupted (read by zoo.cli.entry_point).
unfinished: list[dict] = []


def record_failure(output_dir: str | Path, error: str) -> None:
    """A failed job's results.json: status "failed" and the error, so the sweep's table shows it."""
    path = Path(output_dir) / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"status": "failed", "error": error}, indent=2) + "\n")


class SweepStopped(BaseException):
    """A signal stopped a job of a sequential sweep, so the sweep stops as well. A BaseException:
    Hydra's launcher records a job's Exception and starts the next job, which a signal that asks
    the process to end must not do."""

    def __init__(self, signum: int, sweep_dir: str | Path):
        super().__init__(signum, sweep_dir)
        self.signum, self.sweep_dir = signum, Path(sweep_dir)


# Hydra's launcher that runs a sweep's jobs one after another in this process.
BASIC_LAUNCHER = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"


def stops_with_its_job(hydra_config) -> bool:
    """Whether an interrupted job ends its whole sweep: under Hydra's basic launcher the jobs run
    in this process, which the signal asked to end. A parallel launcher's jobs are processes of
    their own, and the launcher handles the signal."""
    return hydra_config.launcher._target_ == BASIC_LAUNCHER


def summarise(sweep_dir: Path) -> None:
    """``<sweep dir>/summary.md``, and the unfinished jobs noted for the command's exit code."""
    try:
        text = table(sweep_dir)
    except ConfigError as error:  # no job wrote results (every job refused before its run dir)
        text = str(error)
    (sweep_dir / "summary.md").write_text(text + "\n")
    rows = collect(sweep_dir) if sweep_dir.is_dir() else []
    unfinished[:] = [row for row in rows if row.get("status") in ("failed", "interrupted")]
    print(f"zoo: sweep of {len(rows)} jobs, {len(unfinished)} failed or interrupted: {sweep_dir / 'summary.md'}", file=sys.stderr)


class SweepSummary(Callback):
    """Writes ``<sweep dir>/summary.md`` at the end of a multirun and notes the unfinished jobs."""

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        summarise(Path(config.hydra.sweep.dir))
