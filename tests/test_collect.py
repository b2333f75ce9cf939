"""zoo.collect: many runs' results.json into one table."""

import json

import pytest

from tests.conftest import run_cli
from zoo.results import collect, summarise


def make_run(root, name, overrides, results):
    run = root / name
    (run / ".hydra").mkdir(parents=True)
    (run / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    (run / "results.json").write_text(json.dumps(results))


def test_collect_reads_every_run_and_summarises(tmp_path, capsys):
    make_run(tmp_path, "0", ["seed=0"], {"status": "ok", "val/modes": 8, "val/hq_pct": 90.0})
    make_run(tmp_path, "1", ["seed=1"], {"status": "ok", "val/modes": 6, "val/hq_pct": 70.0})
    rows = collect(tmp_path)
    assert [row["run"] for row in rows] == ["seed=0", "seed=1"]
    summary = summarise(rows)
    assert summary["val/modes"] == "7 +- 1.4" and summary["val/hq_pct"] == "80 +- 14"
    done = run_cli("zoo.collect", f"dir={tmp_path}", f"out={tmp_path / 'table.csv'}")
    assert done.returncode == 0, done.stderr
    printed = done.stdout
    assert "| seed=1 | ok | 6 | 70 |" in printed and "mean +- std over 2 runs" in printed
    assert (tmp_path / "table.csv").read_text().splitlines()[0] == "run,status,val/modes,val/hq_pct"


@pytest.mark.parametrize("args, message", [([], "Missing mandatory value: dir"), (["dir={tmp}"], "no results.json under"), (["dir={tmp}", "foo=1"], "unknown setting 'foo'")])
def test_collect_refuses_bad_input_in_one_line(tmp_path, args, message):
    done = run_cli("zoo.collect", *[arg.format(tmp=tmp_path) for arg in args], cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []  # a tool writes nothing it was not asked for


def test_collect_help_lists_its_settings():
    done = run_cli("zoo.collect", "--help")
    assert done.returncode == 0 and "dir: ???" in done.stdout and "zoo-collect" in done.stdout
