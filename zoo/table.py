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

from zoo.cli import command

main = command("table", "zoo.jobs.table")

if __name__ == "__main__":
    main()
