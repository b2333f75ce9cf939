"""zoo.table: sweeps as a paper table (zoo.tables, zoo.papers), on hand-made job folders."""

import csv
import json

import pytest
import yaml

from tests.conftest import run_cli
from zoo import papers, tables


def make_job(root, name, experiment, dataset, results, picture=False):
    """A job folder as a sweep leaves it: results.json and Hydra's record of the choices."""
    job = root / name
    (job / ".hydra").mkdir(parents=True)
    choices = {"experiment": experiment, "dataset": dataset, "model": "gan", "loss": "nonsaturating"}
    (job / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump({"hydra": {"runtime": {"choices": choices}}}))
    (job / ".hydra" / "config.yaml").write_text(yaml.safe_dump({"iterations": 100, "model": {"pack": 2}}))
    (job / "results.json").write_text(json.dumps(results))
    if picture:
        (job / "samples").mkdir()
        import matplotlib.pyplot as plt  # a tiny stand-in for a run's final scatter plot
        plt.imsave(job / "samples" / "iter_000100.png", [[0.0, 1.0], [1.0, 0.0]])
    return job


@pytest.fixture
def sweep(tmp_path):
    root = tmp_path / "sweep"
    ok = {"status": "ok"}
    make_job(root, "0_ring_seed0", "pacgan/ring_gan", "ring8", {**ok, "val/modes": 6.0, "val/hq_pct": 90.0}, picture=True)
    make_job(root, "1_ring_seed1", "pacgan/ring_gan", "ring8", {**ok, "val/modes": 8.0, "val/hq_pct": 98.0})
    make_job(root, "2_grid_seed0", "pacgan/grid_gan", "grid25", {**ok, "val/modes": 20.0, "val/hq_pct": 80.0})
    make_job(root, "3_ring_seed0", "ring8_lsgan", "ring8", {**ok, "val/modes": 7.0, "val/hq_pct": 50.0})
    make_job(root, "4_ring_seed1", "ring8_lsgan", "ring8", {"status": "diverged", "error": "d_loss is nan at step 12"})
    return root


def test_rows_group_jobs_and_average_the_finished_ones(sweep):
    paper = papers.load("pacgan")
    rows = {row.name: row for row in tables.build_rows(tables.read_jobs([sweep]), ["experiment"], paper)}
    columns = {column.title: column for column in paper.columns}
    # The ring and the grid preset of GAN fill one row, each in its own columns.
    assert rows["GAN"].groups == ["pacgan/ring_gan", "pacgan/grid_gan"]
    assert rows["GAN"].cell(columns["ring modes"]).values == [6.0, 8.0]
    assert rows["GAN"].cell(columns["ring modes"]).text() == "7 +- 1.41"
    assert rows["GAN"].cell(columns["grid modes"]).values == [20.0]
    # A group the paper does not name is a row of its own; the diverged job is out of the mean.
    assert rows["zoo LSGAN"].cell(columns["ring modes"]).values == [7.0]
    assert rows["ALI"].jobs == []  # published only, here


def test_targets_are_checked_against_the_measured_numbers(sweep):
    paper = papers.load("pacgan")
    rows = tables.build_rows(tables.read_jobs([sweep]), ["experiment"], paper)
    checked = {text: (met, numbers) for text, met, numbers in tables.check_targets(rows, paper)}
    assert checked["GAN within the published spread or better on the ring (>= 6.3 - 0.5 modes)"][0] is True  # mean 7
    assert checked["GAN within the published spread or better on the grid (>= 17.3 - 0.8 modes)"][0] is True  # 20
    assert checked["ALI/BiGAN >= 6 modes on the ring"][0] is None  # nothing ran
    seeds = checked["every variant captures >= 7 of 8 modes on >= 4 of 5 seeds: GAN"]
    assert seeds == (False, "1 of 2 jobs (6, 8)")


def test_the_page_csv_and_chart_are_written_with_failures_listed(sweep, tmp_path):
    out = tmp_path / "results" / "pacgan"
    done = run_cli("zoo.table", f"dirs=[{sweep}]", "paper=pacgan", f"out={out}", "command=make table-pacgan")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "results" / "pacgan.md").read_text()
    assert "- command: `make table-pacgan`" in page and "budgets (generator iterations per job): 100" in page
    assert "| GAN | paper | | 6.3 +- 0.5 | 98.2 +- 0.2 |" in page
    assert "| GAN | zoo: pacgan/ring_gan, pacgan/grid_gan | 3/3 | 7 +- 1.41 | 94 +- 5.66 |" in page
    assert "## Jobs that did not finish: 1" in page and "diverged: d_loss is nan at step 12" in page
    assert "- met: ALI" not in page and "- not run: ALI/BiGAN >= 6 modes on the ring" in page
    with open(out.with_suffix(".csv")) as handle:
        lines = list(csv.reader(handle))
    assert lines[0][:5] == ["row", "source", "jobs", "ring modes mean", "ring modes std"]
    assert ["GAN", "paper", "", "6.3", "0.5"] == lines[1][:5]
    runs = list(csv.DictReader(open(tmp_path / "results" / "pacgan_runs.csv")))
    assert len(runs) == 5 and runs[4]["status"] == "diverged" and runs[4]["error"].startswith("d_loss is nan")
    assert (tmp_path / "results" / "pacgan.png").stat().st_size > 5_000  # the chart with one picture


def test_without_a_paper_every_score_is_a_column_and_rows_follow_by(sweep):
    done = run_cli("zoo.table", f"dirs=[{sweep}]", "by=[dataset,model.pack]")
    assert done.returncode == 0, done.stderr
    assert "| row | source | jobs | val/modes | val/hq_pct |" in done.stdout
    assert "| ring8, 2 | zoo: ring8, 2 | 3/4 | 7 +- 1 | 79.3 +- 25.7 |" in done.stdout
    assert "did not finish: ring8, 2 (4_ring_seed1): diverged: d_loss is nan at step 12" in done.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["dirs=[{tmp}]", "paper=nope"], "unknown paper table 'nope'; choose one of: "),
        (["dirs=[{tmp}/missing]"], "is not a folder"),
        (["dirs=[{tmp}]"], "no results.json under"),
    ],
)
def test_bad_input_is_one_line(tmp_path, args, message):
    done = run_cli("zoo.table", *[arg.format(tmp=tmp_path) for arg in args])
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


def test_every_shipped_paper_table_loads_and_names_its_columns():
    for name in papers.names():
        paper = papers.load(name)
        titles = {column.title for column in paper.columns}
        assert paper.headline in titles, name
        assert all(target.column in titles for target in paper.targets), name
        assert all(target.row == "*" or target.row in {*paper.rows, *paper.groups.values()} for target in paper.targets), name


def test_a_table_takes_other_tables_published_rows_from_their_files():
    best, pacgan, veegan = papers.load("best"), papers.load("pacgan"), papers.load("veegan")
    assert {f"PacGAN: {name}": cells for name, cells in pacgan.rows.items()} | {f"VEEGAN: {name}": cells for name, cells in veegan.rows.items()} == best.rows


def test_the_page_states_an_epoch_budget_its_time_limit_and_the_iterations_reached(tmp_path):
    """A job trained for epochs under Lightning's max_time (a GPU table's safety stop) may end
    short of its budget: the page says both the budget and what each job reached."""
    root = tmp_path / "sweep"
    for seed, reached in ((0, 9000), (1, 12000)):
        job = make_job(root, f"{seed}_seed{seed}", "mnist_infogan", "mnist", {"status": "ok", "iterations": reached, "val/matched_accuracy": 0.9})
        config = {"iterations": None, "trainer": {"max_epochs": 20, "max_time": "00:00:07:00"}}
        (job / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    text = tables.page(tables.build_rows(tables.read_jobs([root]), ["experiment"], papers.load("infogan")), papers.load("infogan"), [root], "make table-infogan FULL=1", None)
    assert "- budgets (generator iterations per job): 20 epochs or 00:00:07:00 (dd:hh:mm:ss) of training" in text
    assert "- iterations reached per job: 9000 to 12000" in text
