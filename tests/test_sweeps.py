"""Sweeps survive their bad jobs, name their job folders by overrides, summarise themselves and
run in parallel with the joblib launcher."""

import json

from tests.conftest import run_cli

QUICK_CLI = ["iterations=4", "dataset.n_samples=2048", "trainer.enable_progress_bar=false", "~callbacks.progress_bar"]


def test_a_bad_job_is_a_result_and_the_sweep_goes_on(tmp_path):
    done = run_cli("zoo.train", "-m", "model.d_optimizer.lr=-1,1e10,2e-4", *QUICK_CLI, f"hydra.sweep.dir={tmp_path}")
    assert done.returncode == 1, done.stderr[-3000:]  # one job of three did not finish
    jobs = sorted(path.name for path in tmp_path.iterdir() if path.is_dir())
    assert len(jobs) == 3 and all("model.d_optimizer.lr=" in job for job in jobs)  # named by their overrides
    statuses = {job: json.loads((tmp_path / job / "results.json").read_text()) for job in jobs}
    failed = [results for results in statuses.values() if results["status"] == "failed"]
    assert len(failed) == 1 and "model.d_optimizer.lr must be a number > 0, got -1" in failed[0]["error"]
    assert sum(results["status"] in ("ok", "diverged") for results in statuses.values()) == 2
    summary = (tmp_path / "summary.md").read_text()
    assert "did not finish" in summary and "model.d_optimizer.lr=-1" in summary and (tmp_path / "multirun.yaml").is_file()
    assert "zoo: error: job 0" in done.stderr


def test_the_joblib_launcher_runs_jobs_in_parallel_processes(tmp_path):
    done = run_cli("zoo.train", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "seed=0,1", *QUICK_CLI, f"hydra.sweep.dir={tmp_path}")
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(path.read_text()) for path in sorted(tmp_path.glob("*/results.json"))]
    assert [r["status"] for r in results] == ["ok", "ok"] and all(r["iterations"] == 4 for r in results)
    assert "mean +- std over 2 runs" in (tmp_path / "summary.md").read_text()


def test_debug_fast_writes_nothing_but_results_and_profile_writes_a_report(tmp_path):
    from tests.conftest import compose_config
    from zoo.train import train

    results = train(compose_config(["debug=fast", "experiment=ring8_gan"], tmp_path / "fast"))
    assert results["status"] == "ok" and results["iterations"] == 4
    assert sorted(path.name for path in (tmp_path / "fast").iterdir()) == ["results.json"]
    train(compose_config(["debug=profile", "iterations=20", "trainer.enable_progress_bar=false", "~callbacks.progress_bar"], tmp_path / "profile"))
    report = (tmp_path / "profile" / "fit-profile.txt").read_text()
    assert "run_training_batch" in report or "training_step" in report
