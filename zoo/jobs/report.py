"""The work of ``zoo-report`` (zoo/report.py is the command and says what it does)."""

import shlex
import sys
from pathlib import Path

from omegaconf import DictConfig

from zoo import reports, tables
from zoo.cli import writable_output
from zoo.errors import ConfigError


def run(cfg: DictConfig) -> None:
    """``zoo-report`` on its composed config."""
    root = Path(cfg.dir)
    if not root.is_dir():
        raise ConfigError(f"dir={root} is not a folder: give a sweep's folder (outputs/multirun/<date>)")
    jobs = tables.read_jobs([root])
    paper = tables.plain_paper(jobs)
    by = [cfg.by] if isinstance(cfg.by, str) else list(cfg.by)  # by=experiment: one key, not its letters
    rows = tables.build_rows(jobs, by, paper)
    path = writable_output(cfg.out or str(root / "report.html"), cfg.overwrite)
    command = "zoo-report " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    path.write_text(reports.page(rows, paper, root, command, cfg.title))
    unfinished = sum(not job.finished for job in jobs)
    print(f"zoo: report written: {path} ({len(jobs)} jobs in {len(rows)} groups, {unfinished} did not finish)")
