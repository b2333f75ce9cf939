"""Many runs' results.json as one table: a row per run (its overrides and results), the mean and
standard deviation of every number over the runs that finished, and the ones that did not, with
their errors. Used by zoo.collect and by the summary written at the end of every sweep."""

import csv
import json
import re
import statistics
from pathlib import Path

from omegaconf import OmegaConf

from zoo.errors import ConfigError


def natural_order(path: Path) -> list:
    """A sort key that puts numbered names in number order (jobs 0, 1, 2, ..., 10, not 0, 1, 10, 2)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


def results_files(root: Path) -> list[Path]:
    """Every results.json under ``root``, in natural order (a sweep's jobs in job order)."""
    return sorted(root.rglob("results.json"), key=natural_order)


def collect(root: Path) -> list[dict]:
    """One dict per results.json under ``root``: {"run": overrides or path, **results}."""
    rows = []
    for results_path in results_files(root):
        overrides_path = results_path.parent / ".hydra" / "overrides.yaml"
        run = " ".join(OmegaConf.load(overrides_path)) if overrides_path.is_file() else str(results_path.parent)
        rows.append({"run": run, **json.loads(results_path.read_text())})
    return rows


def summarise(rows: list[dict]) -> dict:
    """Mean +- std of every numeric column over the runs that finished ("ok", or no status)."""
    finished = [row for row in rows if row.get("status", "ok") == "ok"] or rows
    summary = {"run": f"mean +- std over {len(finished)} runs"}
    for key in dict.fromkeys(key for row in finished for key in row):
        values = [row[key] for row in finished if isinstance(row.get(key), (int, float)) and not isinstance(row.get(key), bool)]
        if values and len(values) == len(finished) and key != "run":
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            summary[key] = f"{statistics.mean(values):.3g} +- {spread:.2g}"
    return summary


def markdown(rows: list[dict], columns: list[str]) -> str:
    def cell(value):
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def table(root: Path, out: Path | None = None) -> str:
    """The markdown table of the runs under ``root`` (and, with ``out``, the same as CSV)."""
    if not root.is_dir():
        raise ConfigError(f"dir={root} is not a folder")
    rows = collect(root)
    if not rows:
        raise ConfigError(f"no results.json under {root}: did the runs finish?")
    columns = list(dict.fromkeys(key for row in rows for key in row))
    if out is not None:
        with open(out, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    text = markdown([*rows, summarise(rows)], [column for column in columns if column != "error"])
    failed = [row for row in rows if row.get("status", "ok") != "ok"]
    if failed:
        text += "\n\n" + f"{len(failed)} of {len(rows)} runs did not finish:\n"
        text += "\n".join(f"- {row['run']}: {row['status']}: {row.get('error', '')}" for row in failed)
    return text
