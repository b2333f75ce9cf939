"""A sweep as one self-contained HTML page, what a user without a wandb server looks at (zoo.report):
the table of zoo.tables (mean +- std and n per metric per group of jobs, the jobs that did not
finish with their errors), every job's final samples side by side, and the curves of zoo.curves.
Every picture is embedded as a data: URI and the page has no script, so it works offline, from a
file, mailed or copied anywhere.
"""

import base64
import statistics
from html import escape
from pathlib import Path

from zoo import curves
from zoo.papers import Paper
from zoo.provenance import provenance, sweep_seconds
from zoo.tables import Job, Row, failures, number

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f0f0f0; }
td .n { color: #777; font-size: 0.85em; }
tr.unfinished td { background: #fff3f0; }
.jobs { display: flex; flex-wrap: wrap; gap: 0.8em; }
figure { margin: 0; padding: 0.4em; border: 1px solid #ddd; width: 260px; }
figure img { width: 100%; display: block; }
figcaption { font-size: 0.8em; word-break: break-all; }
.failed { color: #b00; }
img.curves { max-width: 100%; }
"""


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def status_text(job: Job) -> str:
    status = job.results.get("status", "ok")
    return status if job.finished else f"{status}: {job.results.get('error', '')}"


def table_html(rows: list[Row], paper: Paper) -> str:
    """Each group of jobs a row: how many finished, and per metric mean +- std over them with n."""
    head = "".join(f"<th>{escape(column.title)}</th>" for column in paper.columns)
    lines = [f"<table id='results'><thead><tr><th>group</th><th>finished</th>{head}</tr></thead><tbody>"]
    for row in rows:
        finished = sum(job.finished for job in row.jobs)
        cells = []
        for column in paper.columns:
            cell = row.cell(column)
            text = f"{number(cell.mean)} ± {number(cell.std)} <span class='n'>n={len(cell.values)}</span>" if cell.values else ""
            cells.append(f"<td>{text}</td>")
        marked = " class='unfinished'" if finished < len(row.jobs) else ""
        lines.append(f"<tr{marked}><td>{escape(row.name)}</td><td>{finished}/{len(row.jobs)}</td>{''.join(cells)}</tr>")
    return "\n".join(lines + ["</tbody></table>"])


def samples_html(rows: list[Row]) -> str:
    """Per group, each job's final samples side by side, captioned with its folder and status."""
    parts = []
    for row in rows:
        figures = []
        for job in row.jobs:
            picture = job.picture()
            image = f"<img alt='final samples of {escape(job.dir.name)}' src='{data_uri(picture.read_bytes())}'>" if picture else "<p>no samples drawn</p>"
            status = f"<span class='{'ok' if job.finished else 'failed'}'>{escape(status_text(job))}</span>"
            where = f" ({escape(picture.name)})" if picture else ""
            figures.append(f"<figure>{image}<figcaption>{escape(job.dir.name)}{where}<br>{status}</figcaption></figure>")
        parts.append(f"<h3>{escape(row.name)}</h3>\n<div class='jobs'>{''.join(figures)}</div>")
    return "\n".join(parts)


def curves_html(rows: list[Row]) -> str:
    """The curves of every job with a readable csv/metrics.csv, in generator iterations, and the
    jobs left out with why."""
    lines, left_out = [], []
    for row in rows:
        for job in row.jobs:
            path = job.dir / "csv" / "metrics.csv"
            if not path.is_file():
                if job.finished:  # a job that failed before training has no curves to miss
                    left_out.append(f"{job.dir.name}: no csv/metrics.csv (logger=csv writes it)")
                continue
            try:
                logged, by_iteration = curves.read_metrics(path)
            except (OSError, ValueError, KeyError) as error:
                left_out.append(f"{job.dir.name}: {path} is not readable ({error})")
                continue
            steps = 1 if by_iteration else curves.steps_per_iteration(job.results, logged)
            if steps is None:
                left_out.append(f"{job.dir.name}: its optimizer steps per generator iteration are unknown (it did not finish)")
            elif logged:
                lines.append((row.name, curves.in_iterations(logged, steps)))
    parts = [f"<img class='curves' alt='training curves' src='{data_uri(curves.draw(lines))}'>"] if lines else ["<p>No curves were logged.</p>"]
    if left_out:
        parts.append("<p>Left out of the curves:</p><ul>" + "".join(f"<li>{escape(line)}</li>" for line in left_out) + "</ul>")
    return "\n".join(parts)


def page(rows: list[Row], paper: Paper, root: Path, command: str, title: str | None = None) -> str:
    """The whole page: what produced it, the table, the jobs that did not finish, samples, curves."""
    facts = provenance()
    jobs = [job for row in rows for job in row.jobs]
    seconds = [job.results["train_seconds"] for job in jobs if isinstance(job.results.get("train_seconds"), (int, float))]
    budgets = sorted({str(job.value("iterations")) for job in jobs if job.value("iterations") is not None})
    facts_lines = [
        ("command", command),
        ("sweep", str(root)),
        ("commit", facts["commit"]),
        ("machine", facts["machine"]),
        ("wall time of the sweep", f"{sweep_seconds([root]) / 60:.1f} min"),
        ("budgets (generator iterations per job)", ", ".join(budgets) or "n/a"),
    ]
    if seconds:
        facts_lines.append(("training time per job", f"{statistics.mean(seconds):.0f} s on average, {sum(seconds) / 60:.1f} min in all"))
    failed = failures(rows)
    title = title or f"Sweep {root}"
    return "\n".join([
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        "<ul>" + "".join(f"<li>{escape(name)}: <code>{escape(value)}</code></li>" for name, value in facts_lines) + "</ul>",
        f"<h2>Results: {len(jobs)} jobs in {len(rows)} groups</h2>",
        table_html(rows, paper),
        f"<h2>Jobs that did not finish: {len(failed)}</h2>",
        "<ul id='failures'>" + "".join(f"<li class='failed'>{escape(line)}</li>" for line in failed) + "</ul>",
        "<h2>Final samples</h2>",
        samples_html(rows),
        "<h2>Curves</h2>",
        curves_html(rows),
        "</body></html>",
        "",
    ])
