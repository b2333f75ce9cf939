"""Sweeps survive their bad jobs, name their job folders by overrides, summarise themselves and
run in parallel with the joblib launcher."""

import json

import lightning as L
import torch

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
    logs = sorted(tmp_path.glob("*/train.log"))  # each job's log, named after its command
    assert len(logs) == 2
    printed = done.stdout + done.stderr + "".join(path.read_text() for path in logs)
    assert "Tip:" not in printed and "GPU available" not in printed  # the start-up banners, in the workers too


def test_a_parallel_launcher_runs_several_jobs_in_one_worker(tmp_path):
    """The joblib launcher gives every job the parent's OmegaConf resolvers: the second job of a
    worker failed with "Unsupported interpolation type zoo.data" when only the job imported it."""
    done = run_cli("zoo.train", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=1", "seed=0,1,2", *QUICK_CLI, f"hydra.sweep.dir={tmp_path}")
    assert done.returncode == 0, done.stderr[-3000:]
    assert [json.loads(path.read_text())["status"] for path in sorted(tmp_path.glob("*/results.json"))] == ["ok", "ok", "ok"]


def test_debug_fast_writes_nothing_but_results_and_profile_writes_a_report(tmp_path):
    from tests.conftest import compose_config
    from zoo.jobs.train import train

    results = train(compose_config(["debug=fast", "experiment=ring8_gan"], tmp_path / "fast"))
    assert results["status"] == "ok" and results["iterations"] == 4
    assert sorted(path.name for path in (tmp_path / "fast").iterdir()) == ["results.json"]
    train(compose_config(["debug=profile", "iterations=20", "trainer.enable_progress_bar=false", "~callbacks.progress_bar"], tmp_path / "profile"))
    report = (tmp_path / "profile" / "fit-profile.txt").read_text()
    assert "run_training_batch" in report or "training_step" in report


SEEN_BATCHES: list = []


class RecordBatches(L.Callback):
    """Keeps every training batch (for the overfit test)."""

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        SEEN_BATCHES.append(batch.clone())


def test_debug_overfit_trains_on_one_fixed_batch(tmp_path):
    from tests.conftest import QUICK, compose_config
    from zoo.jobs.train import train

    SEEN_BATCHES.clear()
    overrides = ["debug=overfit", *QUICK, "iterations=12", "dataset.batch_size=32", "+callbacks.record._target_=tests.test_sweeps.RecordBatches"]
    results = train(compose_config(overrides, tmp_path / "overfit"))
    assert results["status"] == "ok" and results["iterations"] == 12 and len(SEEN_BATCHES) == 12
    examples = torch.unique(torch.cat(SEEN_BATCHES), dim=0)
    assert len(examples) == 32  # the same 32 points every iteration, of the data set's 10,000


def test_ddp_inside_a_multirun_launches_each_job_once(tmp_path):
    """Lightning starts DDP's rank 1 by re-running the command line: under -m it used to launch the
    whole sweep again (twice "Launching 2 jobs", a stray sweep folder), and the second job waited
    forever on the first job's rendezvous."""
    args = ["seed=0,1", "trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2", *QUICK_CLI, "eval_every=4"]
    done = run_cli("zoo.train", "-m", *args, cwd=tmp_path, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (done.stdout + done.stderr).count("Launching 2 jobs") == 1
    sweeps = list((tmp_path / "outputs" / "multirun").iterdir())
    assert len(sweeps) == 1 and not (tmp_path / "outputs" / "train").exists()
    jobs = sorted(path.parent for path in sweeps[0].glob("*/results.json"))
    assert [json.loads((job / "results.json").read_text())["status"] for job in jobs] == ["ok", "ok"]
    assert all((job / "train_ddp_process_1.log").is_file() for job in jobs)  # rank 1 ran in its job's folder


def test_an_optuna_search_returns_the_metric_and_goes_on_past_a_failed_trial(tmp_path):
    """hydra/sweeper=optuna with sqlite storage (the SQLAlchemy < 2 pin): a trial that fails is the
    worst value, not the end of the study; the best trial is the run's own val/hq_pct."""
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    search = ["hydra/sweeper=optuna", "hydra/sweeper/sampler=grid", "optimized_metric=val/hq_pct", "hydra.sweeper.direction=maximize"]
    args = [*search, "hydra.sweeper.n_trials=2", f"hydra.sweeper.storage={storage}", "dataset.batch_size=choice(64,99999)", *QUICK_CLI, "eval_every=4"]
    done = run_cli("zoo.train", "-m", *args, cwd=tmp_path)
    assert done.returncode == 1, done.stderr[-3000:]  # one job failed
    sweep = next((tmp_path / "outputs" / "multirun").iterdir())
    best = (sweep / "optimization_results.yaml").read_text()
    finished = [json.loads(path.read_text()) for path in sweep.glob("*/results.json")]
    ok = [results for results in finished if results["status"] == "ok"]
    assert len(finished) == 2 and len(ok) == 1 and "dataset.batch_size: 64" in best
    assert f"best_value: {ok[0]['val/hq_pct']}" in best
    assert (tmp_path / "study.db").stat().st_size > 0


def test_the_search_and_slurm_presets_compose(tmp_path):
    """search=lr_ncritic is an Optuna search over both learning rates and n_critic; the SLURM
    preset (which cannot run here) composes with its fields for a cluster user to fill in."""
    done = run_cli("zoo.train", "search=lr_ncritic", "hydra/launcher=slurm", "hydra.launcher.partition=gpu", "--cfg", "hydra", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    for line in ("OptunaSweeper", "model.g_optimizer.lr: tag(log, interval(1e-5, 1e-3))", "model.n_critic: choice(1, 2, 5)",
                 "direction: maximize", "SlurmLauncher", "partition: gpu", "gpus_per_node: 1"):  # fmt: skip
        assert line in done.stdout, line


def test_precision_presets_compose_with_any_trainer_and_bf16_trains_on_cpu(tmp_path):
    from tests.conftest import QUICK, compose_config
    from zoo.jobs.train import train

    ddp = compose_config(["trainer=ddp", "precision=bf16", "trainer.sync_batchnorm=true", "trainer.num_nodes=2"], tmp_path)
    assert (ddp.trainer.precision, ddp.trainer.sync_batchnorm, ddp.trainer.num_nodes) == ("bf16-mixed", True, 2)
    assert compose_config(["experiment=mnist_gan", "precision=fp16"], tmp_path).trainer.precision == "16-mixed"
    results = train(compose_config([*QUICK, "precision=bf16", "dataset.n_samples=2048"], tmp_path / "bf16"))
    assert results["status"] == "ok" and results["iterations"] == 6
