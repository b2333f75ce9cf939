"""Gather the results.json of many runs (a Hydra multirun, or any folder) into one table.

    zoo-collect dir=outputs/multirun/<date>            # markdown table, one row per run
    zoo-collect dir=outputs/multirun/<date> out=t.csv  # the same as CSV

Each row is a run: its command-line overrides (from .hydra/overrides.yaml) and its results; a
final line gives the mean and standard deviation of every numeric column over the runs that
finished, and the runs that failed or diverged are listed with their errors (zoo.results).
"""

from pathlib import Path

from omegaconf import DictConfig

from zoo.cli import entry_point
from zoo.results import table


@entry_point("collect")
def main(cfg: DictConfig) -> None:
    print(table(Path(cfg.dir), Path(cfg.out) if cfg.out else None))


if __name__ == "__main__":
    main()
