"""Sweeps as a published table, with the paper's numbers beside the zoo's.

    zoo-table dirs=[outputs/tables/pacgan] paper=pacgan out=docs/results/pacgan
    zoo-table dirs=[outputs/multirun/<date>] by=[experiment,model.pack]   # no paper: print the table

Every job's results.json and config are read and grouped (``by``: config groups such as
experiment, model, dataset, or config keys such as model.pack); each metric is the mean +- std
over the jobs that finished; failed and diverged jobs are listed with their errors. With ``paper``
(a table shipped in zoo/papers), the published rows stand beside the zoo's and the paper's targets
are checked. With ``out``, <out>.md (the page), <out>.csv, <out>_runs.csv and <out>.png (the
headline metric as a chart, and one run's final samples per row) are written.
"""

import shlex
import sys
from pathlib import Path

from omegaconf import DictConfig

from zoo import papers, tables
from zoo.cli import entry_point, writable_output
from zoo.plots import table_chart


@entry_point("table")
def main(cfg: DictConfig) -> None:
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


if __name__ == "__main__":
    main()
