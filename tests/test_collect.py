"""zoo.collect: many runs' results.json into one table."""

import json

import pytest

from zoo.collect import collect, main, summarise


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
    main([str(tmp_path), f"out={tmp_path / 'table.csv'}"])
    printed = capsys.readouterr().out
    assert "| seed=1 | ok | 6 | 70 |" in printed and "mean +- std over 2 runs" in printed
    assert (tmp_path / "table.csv").read_text().splitlines()[0] == "run,status,val/modes,val/hq_pct"


def test_collect_refuses_a_folder_without_results(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path)])
    assert exit_info.value.code == 2
    assert "no results.json under" in capsys.readouterr().err
