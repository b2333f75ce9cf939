"""lr_decay: every optimizer's rate follows its schedule over the budget, and a resumed run keeps it."""

import math
from types import SimpleNamespace

import pytest
import torch

from tests.conftest import QUICK, compose_config
from zoo.callbacks.lr_decay import LearningRateDecay
from zoo.jobs.train import train


def optimizers(*rates):
    return [torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=rate) for rate in rates]


def rates_at(callback, trainer, progress):
    callback.on_train_batch_start(trainer, SimpleNamespace(progress=progress), None, 0)
    return [group["lr"] for optimizer in trainer.optimizers for group in optimizer.param_groups]


@pytest.mark.parametrize(
    "schedule, factor",
    [("none", lambda p: 1.0), ("linear", lambda p: 1 - p), ("cosine", lambda p: (1 + math.cos(math.pi * p)) / 2)],
)
def test_every_optimizer_follows_its_schedule_from_its_own_rate(schedule, factor):
    trainer = SimpleNamespace(optimizers=optimizers(2e-4, 1e-3))
    callback = LearningRateDecay(schedule)
    for progress in (0.0, 0.25, 0.5, 0.9, 1.0, 0.1):  # and back: each rate is a function of progress alone
        assert rates_at(callback, trainer, progress) == pytest.approx([2e-4 * factor(progress), 1e-3 * factor(progress)])


def test_the_configured_rate_travels_in_the_optimizer_state():
    """A resumed run's optimizer is built at the configured rate and loads the stored state: the
    next rate is the uninterrupted run's."""
    trainer = SimpleNamespace(optimizers=optimizers(2e-4))
    callback = LearningRateDecay("linear")
    rates_at(callback, trainer, 0.5)
    state = trainer.optimizers[0].state_dict()
    resumed = SimpleNamespace(optimizers=optimizers(2e-4))
    resumed.optimizers[0].load_state_dict(state)
    assert rates_at(LearningRateDecay("linear"), resumed, 0.6) == pytest.approx([2e-4 * 0.4])


def test_a_run_ends_with_its_rates_decayed_and_none_leaves_them(tmp_path):
    common = [*QUICK, "net.generator.hidden=16", "net.discriminator.hidden=16", "lr_decay=linear", "iterations=10"]
    straight = train(compose_config(common, tmp_path / "straight"))
    assert straight["status"] == "ok"
    checkpoint = torch.load(tmp_path / "straight" / "checkpoints" / "last.ckpt", weights_only=True)
    # The last iteration's two optimizer steps start at global step 18 of 20: 2e-4 x (1 - 18 / 20).
    for state in checkpoint["optimizer_states"]:
        (group,) = state["param_groups"]
        assert group["initial_lr"] == pytest.approx(2e-4) and group["lr"] == pytest.approx(2e-5)
    plain = train(compose_config([*common[:-2], "iterations=10"], tmp_path / "plain"))
    plain_ckpt = torch.load(tmp_path / "plain" / "checkpoints" / "last.ckpt", weights_only=True)
    assert plain["status"] == "ok" and plain_ckpt["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(2e-4)
