"""Sweeps as paper tables: every job's results.json and config, grouped into rows, each metric as
mean +- std over the jobs that finished, the published rows beside them (zoo.papers), the targets
checked, and the jobs that failed listed with their errors. zoo.table writes what this computes.

Hand-written rather than a pandas pivot: the zoo keeps pandas out of its dependencies, and the
grouping needs Hydra's own record of each job (its choices and config), which only we read.
"""

import csv
import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from zoo.errors import ConfigError
from zoo.papers import Column, Paper
from zoo.provenance import provenance, sweep_seconds
from zoo.results import natural_order, results_files

# Numbers in results.json that are bookkeeping or training losses, not scores: a plain table
# (no paper) leaves them out.
NOT_SCORES = ("iterations", "train_seconds")


@dataclass
class Job:
    """One job of a sweep: its folder, results and Hydra's record of what it ran."""

    dir: Path
    results: dict
    choices: dict  # config group -> option (experiment, model, dataset, ...)
    config: DictConfig | None

    @property
    def finished(self) -> bool:
        return self.results.get("status", "ok") == "ok"

    def value(self, key: str):
        """A group choice (``experiment``, ``dataset``) or a config key (``model.pack``)."""
        if key in self.choices:
            return self.choices[key]
        if self.config is None:
            return None
        return OmegaConf.select(self.config, key, throw_on_resolution_failure=False)

    def picture(self) -> Path | None:
        """The job's final samples, if it drew any: samples/final.png (image data), else its last
        samples/iter_<n>.png or epoch_<n>.png (scores.png is a chart of scores, not samples)."""
        folder = self.dir / "samples"
        if (folder / "final.png").is_file():
            return folder / "final.png"
        drawn = sorted((path for path in folder.glob("*.png") if path.name != "scores.png"), key=natural_order)
        return drawn[-1] if drawn else None


def read_jobs(roots: list[Path]) -> list[Job]:
    """Every job (a folder with results.json) under the sweep folders ``roots``, in job order."""
    jobs = []
    for root in roots:
        if not root.is_dir():
            raise ConfigError(f"dirs: {root} is not a folder")
        for results_path in results_files(root):
            folder = results_path.parent
            try:
                results = json.loads(results_path.read_text())
            except (OSError, json.JSONDecodeError) as error:
                raise ConfigError(f"{results_path} is not readable JSON ({error}): remove it or rerun its job") from error
            hydra_file, config_file = folder / ".hydra" / "hydra.yaml", folder / ".hydra" / "config.yaml"
            choices = OmegaConf.to_container(OmegaConf.load(hydra_file).hydra.runtime.choices) if hydra_file.is_file() else {}
            config = OmegaConf.load(config_file) if config_file.is_file() else None
            jobs.append(Job(folder, results, choices, config))
    if not jobs:
        raise ConfigError(f"no results.json under {', '.join(map(str, roots))}: did the sweep run?")
    return jobs


def group_of(job: Job, by: list[str]) -> str:
    values = [job.value(key) for key in by]
    if all(value is None for value in values):  # a run without a preset: name it by its variant
        values = [job.value("model"), job.value("loss"), job.value("dataset")]
    return ", ".join(str(value) for value in values if value is not None)


@dataclass
class Cell:
    values: list[float]

    @property
    def mean(self) -> float:
        return statistics.mean(self.values)

    @property
    def std(self) -> float:
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0

    def text(self) -> str:
        return f"{number(self.mean)} +- {number(self.std)}" if self.values else ""


def number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


@dataclass
class Row:
    """A row of the table: the zoo's jobs that reproduce one published row (or one group)."""

    name: str
    groups: list[str]
    jobs: list[Job]

    def jobs_for(self, column: Column, finished: bool = True) -> list[Job]:
        return [job for job in self.jobs if (job.finished or not finished) and column.dataset in (None, job.value("dataset"))]

    def cell(self, column: Column) -> Cell:
        values = [job.results.get(column.metric) for job in self.jobs_for(column)]
        return Cell([float(value) for value in values if isinstance(value, (int, float)) and not isinstance(value, bool)])


def plain_paper(jobs: list[Job]) -> Paper:
    """The table of a sweep no paper describes: one column per score its finished jobs report."""
    metrics = dict.fromkeys(
        key
        for job in jobs
        if job.finished
        for key, value in job.results.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key not in NOT_SCORES and not key.startswith("train/")
    )
    columns = tuple(Column(title=metric, metric=metric) for metric in metrics)
    return Paper(name="", title="", spread="", columns=columns, headline=columns[0].title if columns else "")


def build_rows(jobs: list[Job], by: list[str], paper: Paper) -> list[Row]:
    """The zoo's rows: jobs grouped by ``by``, groups named by the paper's rows where it names them
    (so a ring and a grid preset can fill one row), published rows first in the paper's order."""
    rows: dict[str, Row] = {name: Row(name, [], []) for name in paper.rows}
    for job in jobs:
        group = group_of(job, by)
        name = paper.groups.get(group, group)
        row = rows.setdefault(name, Row(name, [], []))
        row.jobs.append(job)
        if group not in row.groups:
            row.groups.append(group)
    return list(rows.values())


def markdown(rows: list[Row], paper: Paper) -> str:
    titles = [column.title for column in paper.columns]
    lines = ["| row | source | jobs | " + " | ".join(titles) + " |", "|" + "---|" * (len(titles) + 3)]
    for row in rows:
        if row.name in paper.rows:
            published = paper.rows[row.name]
            cells = [published_text(*published[title]) if title in published else "" for title in titles]
            lines.append(f"| {row.name} | {paper.source} | | " + " | ".join(cells) + " |")
        if row.jobs:
            finished = sum(job.finished for job in row.jobs)
            cells = [row.cell(column).text() for column in paper.columns]
            lines.append(f"| {row.name} | zoo: {', '.join(row.groups)} | {finished}/{len(row.jobs)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def published_text(mean: float, spread: float | None) -> str:
    return number(mean) if spread is None else f"{number(mean)} +- {number(spread)}"


def check_targets(rows: list[Row], paper: Paper) -> list[tuple[str, bool | None, str]]:
    """Each target as (text, met or None when nothing ran, the measured numbers)."""
    columns = {column.title: column for column in paper.columns}
    checked = []
    for target in paper.targets:
        column = columns[target.column]
        for row in rows:
            if target.row not in ("*", row.name) or (target.row == "*" and not row.jobs):
                continue
            label = target.text if target.row != "*" else f"{target.text}: {row.name}"
            values = row.cell(column).values
            ran = len(row.jobs_for(column, finished=False))
            if not values:
                checked.append((label, None, f"no finished job of {ran}"))
            elif target.in_jobs is not None:
                passing = sum(target.holds(value) for value in values)
                checked.append((label, passing >= target.in_jobs, f"{passing} of {ran} jobs ({', '.join(number(v) for v in values)})"))
            else:
                mean = statistics.mean(values)
                checked.append((label, target.holds(mean), f"mean {number(mean)} over {len(values)} jobs"))
    return checked


def failures(rows: list[Row]) -> list[str]:
    return [f"{row.name} ({job.dir.name}): {job.results.get('status')}: {job.results.get('error', '')}" for row in rows for job in row.jobs if not job.finished]


def write_csv(rows: list[Row], paper: Paper, path: Path) -> None:
    """The table as CSV (one line per row and source, mean and std per column) and every job as
    ``<name>_runs.csv`` beside it."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "source", "jobs"] + [f"{column.title} {stat}" for column in paper.columns for stat in ("mean", "std")])
        for row in rows:
            if row.name in paper.rows:
                published = paper.rows[row.name]
                writer.writerow([row.name, paper.source, ""] + [part for column in paper.columns for part in published.get(column.title, ("", ""))])
            if row.jobs:
                cells = [row.cell(column) for column in paper.columns]
                stats = [part for cell in cells for part in ((cell.mean, cell.std) if cell.values else ("", ""))]
                writer.writerow([row.name, "zoo: " + " ".join(row.groups), f"{sum(j.finished for j in row.jobs)}/{len(row.jobs)}"] + stats)
    metrics = list(dict.fromkeys(key for row in rows for job in row.jobs for key in job.results if key not in ("status", "error")))
    with open(path.with_name(path.stem + "_runs.csv"), "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "job", "status", "error"] + metrics)
        for row in rows:
            for job in row.jobs:
                writer.writerow([row.name, str(job.dir), job.results.get("status", "ok"), job.results.get("error", "")] + [job.results.get(m, "") for m in metrics])


def budget(job: Job) -> str | None:
    """A job's training budget as configured: its iterations, else its epochs, and Lightning's
    max_time where one was set (a job stopped by it has fewer iterations than its budget)."""
    iterations, epochs, max_time = (job.value(key) for key in ("iterations", "trainer.max_epochs", "trainer.max_time"))
    if iterations is None and epochs is None:
        return None
    text = str(iterations) if iterations is not None else f"{epochs} epochs"
    return text + (f" or {max_time} (dd:hh:mm:ss) of training" if max_time else "")


def page(rows: list[Row], paper: Paper, roots: list[Path], command: str, picture: Path | None) -> str:
    """The markdown page of a table: what produced it (command, commit, machine, wall time,
    budgets), the table, the targets met or not, the jobs that failed, and the picture."""
    facts = provenance()
    budgets = sorted({budget(job) for row in rows for job in row.jobs} - {None})
    reached = sorted(job.results["iterations"] for row in rows for job in row.jobs if isinstance(job.results.get("iterations"), int))
    lines = [f"# {paper.title or 'Sweep ' + ', '.join(map(str, roots))}", ""]
    lines += [
        f"- command: `{command}`",
        f"- commit: {facts['commit']}",
        f"- machine: {facts['machine']}",
        f"- wall time of the sweeps: {sweep_seconds(roots) / 60:.1f} min",
        f"- budgets (generator iterations per job): {', '.join(budgets) or 'n/a'}",
    ]
    if reached:
        lines.append(f"- iterations reached per job: {reached[0]}" + (f" to {reached[-1]}" if reached[-1] != reached[0] else ""))
    seconds = [job.results["train_seconds"] for row in rows for job in row.jobs if isinstance(job.results.get("train_seconds"), (int, float))]
    if seconds:
        devices = sorted({str(job.value("trainer.accelerator")) for row in rows for job in row.jobs})
        lines.append(f"- training time per job: {statistics.mean(seconds):.0f} s on average, {sum(seconds) / 60:.1f} min in all (accelerator: {', '.join(devices)})")
    if paper.spread:
        lines.append(f"- published +- is {paper.spread}; the zoo's +- is the standard deviation over its jobs")
    lines += ["", markdown(rows, paper)]
    checked = check_targets(rows, paper)
    if checked:
        lines += ["", "## Targets", ""]
        verdict = {True: "met", False: "NOT met", None: "not run"}
        lines += [f"- {verdict[met]}: {text} ({numbers})" for text, met, numbers in checked]
    failed = failures(rows)
    lines += ["", f"## Jobs that did not finish: {len(failed)}", ""] + [f"- {line}" for line in failed]
    if paper.notes:
        lines += ["", "## Notes", "", paper.notes.strip()]
    if picture is not None:
        lines += ["", f"![{paper.headline}: zoo against paper, and one run's final samples per row]({picture.name})"]
    return "\n".join(lines) + "\n"


def chart_data(rows: list[Row], paper: Paper) -> tuple[list[str], list, list, list]:
    """The chart's bars: per row with anything to show, the zoo's headline (mean, std), the
    published (mean, spread) and one finished job's final picture."""
    headline = next(column for column in paper.columns if column.title == paper.headline)
    labels, zoo, published, pictures = [], [], [], []
    for row in rows:
        cell = row.cell(headline)
        jobs = row.jobs_for(headline)
        labels.append(row.name)
        zoo.append((cell.mean, cell.std) if cell.values else None)
        published.append(paper.rows.get(row.name, {}).get(headline.title))
        pictures.append(next((picture for job in jobs if (picture := job.picture()) is not None), None))
    return labels, zoo, published, pictures
