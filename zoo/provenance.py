"""What produced a results page (zoo.table's, zoo.report's): the commit, the machine and the
sweeps' wall time."""

import os
import platform
import subprocess
from pathlib import Path

import torch


def sweep_seconds(roots: list[Path]) -> float:
    """Wall time of the sweeps: from each sweep's start (multirun.yaml, written first) to its last
    results.json, summed over the sweeps (the make targets run them one after another)."""
    total = 0.0
    for root in roots:
        ends = [path.stat().st_mtime for path in root.rglob("results.json")]
        starts = [path.stat().st_mtime for path in [root / "multirun.yaml", *root.rglob(".hydra/config.yaml")] if path.is_file()]
        if ends and starts:
            total += max(ends) - min(starts)
    return total


def provenance() -> dict[str, str]:
    """The commit (with -dirty when the code has uncommitted changes) and the machine this ran on.
    $ZOO_COMMIT names the commit where the code is a copy without git (a lent GPU machine's)."""
    commit = os.environ.get("ZOO_COMMIT") or git_commit()
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} {platform.release()}"
    if torch.cuda.is_available():
        machine += f", {torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}"
    return {"commit": commit, "machine": machine}


def git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        # Dirty only where the code differs (the pages and results being written do not count).
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "zoo", "conf", "Makefile"], capture_output=True, text=True, check=True).stdout.strip()
        commit += "-dirty" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown (not a git checkout)"
    return commit
