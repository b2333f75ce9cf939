"""A sweep as one self-contained HTML page, to look at without a wandb server.

    zoo-report dir=outputs/multirun/<date>                         # -> <dir>/report.html
    zoo-report dir=outputs/tables/pacgan/<date> by=[experiment,model.pack] out=pacgan.html

Every job's results.json and config are read and grouped as zoo.table groups them (``by``); the
page (zoo.reports) holds the table (mean +- std and n per metric per group, the failed and
diverged jobs with their errors), every job's final samples side by side and the training losses
and scores against generator iterations from each job's csv/metrics.csv, every picture embedded.
"""

from zoo.cli import command

main = command("report", "zoo.jobs.report")

if __name__ == "__main__":
    main()
