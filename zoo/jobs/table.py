"""The work of ``zoo-table`` (zoo/table.py is the command and says what it does)."""

import shlex
import sys
from pathlib import Path

from omegaconf import DictConfig

from zoo import papers, tables
from zoo.cli import writable_output
from zoo.plots import table_chart


def run(cfg: DictConfig) -> None:
    """``zoo-table`` on its composed config."""
    roots = [Path(folder) for folder in cfg.dirs]
    paper = papers.load(cfg.paper) if cfg.paper else None
    jobs = tables.read_jobs(roots)
    paper = paper or tables.plain_paper(jobs)
    rows = tables.build_rows(jobs, list(cfg.by), paper)
    if cfg.out is None:
        print(tables.markdown(rows, paper))
        for line in tables.failures(rows):
            print(f"did not finish: {line}")
        return
    page_path = writable_output(f"{cfg.out}.md", cfg.overwrite)
    picture = page_path.with_suffix(".png")
    labels, zoo, published, pictures = tables.chart_data(rows, paper)
    table_chart(f"{paper.title or 'sweep'}: {paper.headline}", labels, zoo, published, pictures, picture)
    tables.write_csv(rows, paper, page_path.with_suffix(".csv"))
    command = cfg.command or "zoo-table " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    page_path.write_text(tables.page(rows, paper, roots, command, picture))
    print(tables.markdown(rows, paper))
    print(f"zoo: table written: {page_path} (+ .csv, _runs.csv, .png)")
