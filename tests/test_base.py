"""GANModule's training loop: n_critic, toggled updates, the iteration budget, the GAN options."""

import math

import lightning as L
import pytest
import torch
from hydra.utils import instantiate

from tests.conftest import QUICK, compose_config
from zoo.data.mixtures import Ring
from zoo.models.gan import GAN


class Recording(GAN):
    """GAN that records, for every update, which networks' parameters moved and the batch it used."""

    def on_fit_start(self):
        self.record = []

    def update(self, optimizer, update, batch):
        before = {name: p.detach().clone() for name, p in self.named_parameters()}
        terms = super().update(optimizer, update, batch)
        moved = {name.split(".")[0] for name, p in self.named_parameters() if not torch.equal(before[name], p)}
        self.record.append((update.loss, moved, batch[:, 0].sum().item()))
        return terms


def fit(tmp_path, iterations: int, **model_overrides) -> tuple[Recording, L.Trainer]:
    overrides = [*QUICK, "net.generator.hidden=16", "net.discriminator.hidden=16"]
    overrides += [f"model.{key}={value}" for key, value in model_overrides.items()]
    cfg = compose_config(overrides, tmp_path)
    model = instantiate(cfg.model, _target_=f"{__name__}.Recording")
    trainer = L.Trainer(
        max_steps=iterations * model.steps_per_iteration, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False,
    )
    trainer.fit(model, datamodule=Ring(n_samples=4096, batch_size=32))
    return model, trainer


@pytest.mark.parametrize("n_critic", [1, 3])
def test_n_critic_discriminator_updates_per_generator_update_each_on_its_own_batch(tmp_path, n_critic):
    model, trainer = fit(tmp_path, iterations=4, n_critic=n_critic)
    keys = [key for key, _, _ in model.record]
    assert keys == (["d_loss"] * n_critic + ["g_loss"]) * 4
    d_batches = [batch for key, _, batch in model.record if key == "d_loss"]
    assert len(set(d_batches)) == len(d_batches)  # every D update saw a different batch
    assert model.iteration == 4 and trainer.global_step == 4 * (n_critic + 1)


def test_each_update_moves_only_its_own_network(tmp_path):
    model, _ = fit(tmp_path, iterations=3)
    for key, moved, _ in model.record:
        assert moved == ({"discriminator"} if key == "d_loss" else {"generator"})


def test_instance_noise_is_annealed_to_zero(monkeypatch, tmp_path):
    cfg = compose_config([*QUICK, "model.instance_noise=0.5"], tmp_path)
    model = instantiate(cfg.model)
    x = torch.zeros(20000, 2)
    for progress, std in [(0.0, 0.5), (0.5, 0.25), (1.0, 0.0)]:
        monkeypatch.setattr(GAN, "progress", property(lambda self, p=progress: p))
        assert model.noisy(x).std().item() == pytest.approx(std, abs=0.01)


def test_label_smoothing_reaches_the_discriminator_loss(tmp_path):
    cfg = compose_config([*QUICK, "loss.real_label=0.9"], tmp_path)
    model = instantiate(cfg.model)
    logits = torch.full((8,), 10.0)  # D sure of both: only the softened real target costs
    smoothed = model.d_loss(logits, -logits).item()
    assert smoothed == pytest.approx(-(0.9 * math.log(torch.sigmoid(logits[0]).item()) + 0.1 * math.log(torch.sigmoid(-logits[0]).item())), rel=1e-3)


def test_fixed_noise_is_the_same_for_every_model(tmp_path):
    cfg = compose_config(QUICK, tmp_path)
    assert torch.equal(instantiate(cfg.model).fixed_noise, instantiate(cfg.model).fixed_noise)


def test_ddp_ranks_draw_their_own_noise_and_rank_0_the_single_process_one(tmp_path):
    from types import SimpleNamespace

    model = instantiate(compose_config(QUICK, tmp_path).model)
    draws = []
    for world_size, rank in ((1, 0), (2, 0), (2, 1)):
        torch.manual_seed(0)  # what seed_everything does, alike on every rank
        model._trainer = SimpleNamespace(world_size=world_size, global_rank=rank, global_step=0)
        model.on_train_start()
        draws.append(model.noise(8))
    model._trainer = None
    assert torch.equal(draws[0], draws[1]) and not torch.equal(draws[1], draws[2])


@pytest.mark.parametrize("experiment", ["ring8_gan", "ring8_bigan", "ring8_fgan"])
def test_built_models_hold_plain_partials_that_compute_what_hydra_partials_do(experiment, tmp_path):
    """Hydra's partials re-check its target policy on every call (most of a small net's framework
    overhead, measured); zoo.factory.build hands the model plain functools.partials instead."""
    import functools

    from zoo.factory import build

    cfg = compose_config([f"experiment={experiment}"], tmp_path)
    model = build(cfg.model, "the model")
    hydra_loss = instantiate(cfg.model.d_loss)
    assert type(hydra_loss) is not functools.partial  # what build replaces; if Hydra changes, this test says so
    assert type(model.d_loss) is functools.partial and type(model.g_optimizer) is functools.partial
    real, fake = torch.randn(8), torch.randn(8)
    assert torch.equal(model.d_loss(real, fake), hydra_loss(real, fake))
