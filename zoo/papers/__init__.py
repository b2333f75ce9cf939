"""Published tables the zoo reproduces, as data: one YAML file per table in this folder (the
numbers copied from the papers, see ../shared/reference/paper-tables.md), read by zoo.table.

A table file names its columns (a results.json metric, on the jobs of one data set), its published
rows (``mean`` or ``mean+-spread``), which zoo experiment reproduces which published row, and the
targets the zoo's rows are held to. ``rows_from`` takes another table's published rows from its
own file (named ``<prefix>: <row>``), so a number is written once.
"""

from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import OmegaConf

from zoo.errors import ConfigError

PAPERS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Column:
    """One column: the metric ``metric`` of the jobs trained on ``dataset`` (any data set: None)."""

    title: str
    metric: str
    dataset: str | None = None


@dataclass(frozen=True)
class Target:
    """A bound on a zoo row's column: its mean (or, with ``in_jobs``, that many single jobs) at
    least ``at_least`` / at most ``at_most``. ``row`` '*' holds every zoo row to it."""

    text: str
    row: str
    column: str
    at_least: float | None = None
    at_most: float | None = None
    in_jobs: int | None = None

    def holds(self, value: float) -> bool:
        return (self.at_least is None or value >= self.at_least) and (self.at_most is None or value <= self.at_most)


@dataclass(frozen=True)
class Paper:
    name: str
    title: str
    spread: str  # what the published +- means (s.e. over 10 trials, std over 5 runs, ...)
    columns: tuple[Column, ...]
    headline: str  # the column the chart draws
    rows: dict[str, dict[str, tuple[float, float | None]]] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)  # zoo group (experiment) -> row name
    targets: tuple[Target, ...] = ()
    notes: str = ""
    source: str = "paper"  # what the published rows are (the closed forms, for fdiv)


def names() -> list[str]:
    return sorted(path.stem for path in PAPERS_DIR.glob("*.yaml"))


def parse_number(text) -> tuple[float, float | None]:
    """``6.3+-0.5`` -> (6.3, 0.5); ``99`` -> (99.0, None)."""
    mean, _, spread = str(text).replace(" ", "").partition("+-")
    return float(mean), float(spread) if spread else None


def load(name: str) -> Paper:
    path = PAPERS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"unknown paper table '{name}'; choose one of: {', '.join(names())}")
    spec = OmegaConf.to_container(OmegaConf.load(path))
    columns = tuple(Column(**column) for column in spec["columns"])
    titles = [column.title for column in columns]
    rows = {row: {title: parse_number(value) for title, value in cells.items()} for row, cells in (spec.get("rows") or {}).items()}
    for other, prefix in (spec.get("rows_from") or {}).items():  # another table's published rows, read from its file
        rows |= {f"{prefix}: {row}": cells for row, cells in load(other).rows.items()}
    for row, cells in rows.items():
        for title in cells:
            if title not in titles:  # a typo in a shipped table is a bug: say where it is
                raise ValueError(f"{path}: row {row!r} names no column {title!r}; columns: {titles}")
    return Paper(
        name=name,
        title=spec["title"],
        spread=spec.get("spread", ""),
        columns=columns,
        headline=spec.get("headline", titles[0]),
        rows=rows,
        groups=spec.get("groups") or {},
        targets=tuple(Target(**target) for target in spec.get("targets") or ()),
        notes=spec.get("notes", ""),
        source=spec.get("source", "paper"),
    )
