"""Several generator iterations per Lightning step (``iterations_per_step``): the run computes the
same numbers, bit for bit, at the same iterations, whatever number it chose."""

import json

import lightning as L
import pytest
from omegaconf import OmegaConf

from tests.conftest import compose_config
from tests.test_reliability import assert_bitwise_equal, final_state
from zoo.jobs.train import iterations_per_step, train

SMALL = ["net.generator.hidden=16", "net.discriminator.hidden=16", "trainer.enable_progress_bar=false", "~callbacks.progress_bar",
         "logger=csv", "threads=1", "+callbacks.steps._target_=tests.test_steps.StepsSeen"]  # fmt: skip


class StepsSeen(L.Callback):
    """Records the iterations_per_step a run chose and how many training steps it took."""

    chosen: int | None = None
    steps = 0

    def on_train_start(self, trainer, pl_module) -> None:
        StepsSeen.chosen, StepsSeen.steps = pl_module.iterations_per_step, 0

    def on_train_batch_end(self, *args) -> None:
        StepsSeen.steps += 1


def settings(**changes):
    """train.yaml's settings that the choice reads, with ``changes`` (``a__b`` for a.b)."""
    cfg = OmegaConf.create({"iterations_per_step": 10, "eval_every": 2000, "checkpoint_every": 2000, "iterations": 10000,
                            "ema": False, "lr_decay": "none", "trainer": {"log_every_n_steps": 50}})  # fmt: skip
    for key, value in changes.items():
        OmegaConf.update(cfg, key.replace("__", "."), value)
    return cfg


@pytest.mark.parametrize(
    "changes, batches_per_pass, n_critic, resumed, expected",
    [
        ({}, 390, 1, 0, 10),  # ring8: 100,000 points in batches of 256
        ({}, 390, 5, 0, 2),  # WGAN-GP's 5 critic batches per iteration: 10 x 5 does not divide 390, 2 x 5 does
        ({}, 937, 1, 0, 1),  # MNIST in batches of 64: 937 is prime
        ({"eval_every": 25}, 400, 1, 0, 5),
        ({"trainer__log_every_n_steps": 3}, 390, 1, 0, 1),
        ({"iterations": 10005}, 390, 1, 0, 5),
        ({"iterations_per_step": 4}, 400, 1, 0, 2),  # at most 4, dividing 50: 2
        ({}, 390, 1, 2005, 5),  # a resume from iteration 2005
        ({"ema": True}, 390, 1, 0, 1),  # EMA and the learning-rate schedule act after every iteration
        ({"lr_decay": "linear"}, 390, 1, 0, 1),
        ({"trainer__overfit_batches": 4}, 390, 1, 0, 1),
    ],
)
def test_the_chosen_number_divides_every_cadence_and_a_pass_over_the_data(changes, batches_per_pass, n_critic, resumed, expected):
    assert iterations_per_step(settings(**changes), batches_per_pass, n_critic, resumed) == expected


@pytest.mark.parametrize("variant", [["experiment=ring8_gan"], ["experiment=ring8_wgan_gp"], ["experiment=ring8_infogan", "model.q_head.hidden=16"]],
                         ids=["gan", "wgan_gp n_critic 5", "infogan"])  # fmt: skip
def test_several_iterations_per_step_train_bitwise_like_one(tmp_path, variant):
    # 12,800 points in batches of 256: 50 batches a pass, so 10 iterations per step fit (n_critic 5 too),
    # and 60 iterations cross passes; evaluations, checkpoints and log lines every 10 or 20 iterations.
    common = [*variant, *SMALL, "dataset.n_samples=12800", "iterations=60", "eval_every=20", "checkpoint_every=20", "trainer.log_every_n_steps=10"]
    train(compose_config([*common, "iterations_per_step=1"], tmp_path / "one"))
    assert StepsSeen.chosen == 1
    results = train(compose_config(common, tmp_path / "ten"))
    assert StepsSeen.chosen == 10 and StepsSeen.steps == 6  # one step per critic pass before: 60 x n_critic
    assert results["status"] == "ok" and results["iterations"] == 60
    assert_bitwise_equal(final_state(tmp_path / "one"), final_state(tmp_path / "ten"))
    assert (tmp_path / "one" / "csv" / "metrics.csv").read_text() == (tmp_path / "ten" / "csv" / "metrics.csv").read_text()
    scores = [json.loads((tmp_path / run / "results.json").read_text()) for run in ("one", "ten")]
    assert [{k: v for k, v in r.items() if k != "train_seconds"} for r in scores] == [{k: v for k, v in scores[0].items() if k != "train_seconds"}] * 2


def test_a_run_resumes_with_another_number_of_iterations_per_step(tmp_path):
    common = ["experiment=ring8_gan", *SMALL, "dataset.n_samples=5120", "eval_every=20", "checkpoint_every=20", "trainer.log_every_n_steps=10"]
    train(compose_config([*common, "iterations=40"], tmp_path / "straight"))
    assert StepsSeen.chosen == 10
    train(compose_config([*common, "iterations=20"], tmp_path / "first"))
    ckpt = tmp_path / "first" / "checkpoints" / "last.ckpt"
    resumed = train(compose_config([*common, "iterations=40", "iterations_per_step=1", f"ckpt_path={ckpt}"], tmp_path / "second"), overrides=["iterations=40", "iterations_per_step=1"])
    assert StepsSeen.chosen == 1 and resumed["iterations"] == 40
    assert_bitwise_equal(final_state(tmp_path / "straight"), final_state(tmp_path / "second"))
