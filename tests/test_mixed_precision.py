"""Mixed precision on the CPU: float16 loss scaling with one GradScaler and several optimizers
(precision=fp16_cpu, a real float16 autocast), the loss-scale watch, WGAN-GP trained in float16,
every ring8 variant in bf16 against fp32, and the half-precision terms tests/test_paper_fidelity.py
does not already cover (the gradient penalty under float16, every f-divergence's conjugate)."""

import math
from types import SimpleNamespace

import lightning as L
import pytest
import torch
from hydra.utils import instantiate
from torch import nn

from tests.conftest import QUICK, compose_config
from zoo import losses
from zoo.jobs.train import train

RING8 = ["gan", "wgan", "wgan_gp", "sngan", "lsgan", "hinge", "fgan", "ebgan", "infogan", "vaegan", "bigan"]
SMALL = ["net.generator.hidden=32", "net.discriminator.hidden=32"]
FP16 = ["precision=fp16_cpu"]


class ScaleLog(L.Callback):
    """Keeps the GradScaler's scale after every batch, and the autocast dtype the steps ran in."""

    scales: list[float] = []
    dtypes: set = set()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        ScaleLog.scales.append(trainer.precision_plugin.scaler.get_scale())
        if batch_idx == 0:
            with trainer.precision_plugin.forward_context(), torch.no_grad():
                ScaleLog.dtypes.add(pl_module.generator(pl_module.fixed_noise).dtype)


class OverflowEveryStep(L.Callback):
    """Makes every discriminator gradient infinite, at every step (float16 overflow, forced)."""

    def on_train_start(self, trainer, pl_module):
        for parameter in pl_module.discriminator.parameters():
            parameter.register_hook(lambda grad: torch.full_like(grad, math.inf))


# --- one scaler, several optimizers ---------------------------------------------------------------


def test_fp16_cpu_preset_runs_float16_autocast_with_a_grad_scaler(tmp_path):
    """Lightning would turn precision=16-mixed into bf16 on the CPU; the preset's plugin does not."""
    ScaleLog.scales.clear(), ScaleLog.dtypes.clear()
    overrides = ["experiment=ring8_gan", *QUICK, *FP16, *SMALL, "+callbacks.scales._target_=tests.test_mixed_precision.ScaleLog"]
    results = train(compose_config(overrides, tmp_path))
    assert results["status"] == "ok" and ScaleLog.dtypes == {torch.float16}
    assert len(ScaleLog.scales) == 6 and all(0 < scale <= 2.0**16 for scale in ScaleLog.scales)


@pytest.mark.parametrize("experiment", ["ring8_gan", "ring8_bigan"])
def test_an_overflow_skips_only_its_optimizer_and_halves_the_scale(tmp_path, experiment):
    """Lightning's MixedPrecision.optimizer_step unscales, steps and updates the one GradScaler per
    optimizer step: an infinite gradient in D's step skips D's update alone (its Adam step count
    too) and halves the scale, and the G (and E) steps of the same batch go on at the halved scale."""
    cfg = compose_config([f"experiment={experiment}", *QUICK, *FP16, *SMALL, "net=mlp", "net.joint_discriminator.hidden=32", "net.encoder.hidden=32"], tmp_path)
    model, datamodule = instantiate(cfg.model), instantiate(cfg.dataset)
    poisoned_batch, snapshots = 2, {}  # batch 0 may skip a step of its own: the scale starts at 2^16, which float16 gradients can overflow

    def snapshot(trainer):
        weights = {name: torch.cat([p.detach().flatten() for p in getattr(model, name).parameters()]).clone() for name in networks}
        steps = {name: optimizer.state[next(getattr(model, name).parameters())].get("step", 0) for name, optimizer in zip(networks, trainer.optimizers)}
        return weights, {name: int(step) for name, step in steps.items()}, trainer.precision_plugin.scaler.get_scale()

    class Record(L.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            snapshots[batch_idx, "before"] = snapshot(trainer)

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            snapshots[batch_idx, "after"] = snapshot(trainer)

    networks = [update.network for update in model.updates]  # optimizers in the same order
    first = next(model.discriminator.parameters())
    first.register_hook(lambda grad: torch.full_like(grad, math.inf) if model.global_step // model.steps_per_iteration == poisoned_batch else grad)
    trainer = instantiate(cfg.trainer, max_steps=4 * model.steps_per_iteration, callbacks=[Record()], logger=False, enable_checkpointing=False)
    trainer.fit(model, datamodule)

    (weights, steps, scale), (weights_after, steps_after, scale_after) = snapshots[poisoned_batch, "before"], snapshots[poisoned_batch, "after"]
    assert scale_after == scale / 2
    assert torch.equal(weights["discriminator"], weights_after["discriminator"]) and steps_after["discriminator"] == steps["discriminator"]
    for name in networks:
        if name != "discriminator":  # the same batch's other steps, at the halved scale
            assert not torch.equal(weights[name], weights_after[name]) and steps_after[name] == steps[name] + 1, name
    (weights, steps, scale), (weights_after, steps_after, _) = snapshots[poisoned_batch + 1, "before"], snapshots[poisoned_batch + 1, "after"]
    assert all(steps_after[name] == steps[name] + 1 for name in networks)  # the next batch moves every network again
    assert all(p.isfinite().all() for p in model.parameters())


# --- the watch: a scale that collapses ends the run -------------------------------------------------


def test_a_collapsing_loss_scale_ends_the_run_as_diverged(tmp_path):
    """Overflow at every D step: the GradScaler skips each one (the weights stay finite, the
    losses too), so without the watch the run ends "ok" with D never trained."""
    poison = ["experiment=ring8_gan", *QUICK, *FP16, *SMALL, "iterations=25", "trainer.log_every_n_steps=5",
              "callbacks.sample_grid=null", "callbacks.mode_coverage=null", "+callbacks.poison._target_=tests.test_mixed_precision.OverflowEveryStep"]
    unwatched = train(compose_config([*poison, "callbacks.loss_scale=null"], tmp_path / "unwatched"))
    assert unwatched["status"] == "ok" and unwatched["iterations"] == 25  # the silent failure the watch exists for
    watched = train(compose_config(poison, tmp_path / "watched"))
    assert watched["status"] == "diverged" and watched["diverged_term"] == "the fp16 loss scale"
    assert watched["diverged_iteration"] == 20  # 2^16 halved 17 times is below 1 after iteration 17; read at the next logging iteration
    assert "callbacks.loss_scale.min_scale=1" in watched["error"]


# --- long runs ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_wgan_gp_trains_2000_iterations_in_float16_without_its_loss_scale_collapsing(tmp_path):
    """WGAN-GP (5 critic steps, the float32 penalty's gradient scaled into a float16 backward) in
    real float16 autocast on the CPU; small nets (32 units), because x86 has no float16 arithmetic."""
    ScaleLog.scales.clear(), ScaleLog.dtypes.clear()
    overrides = ["experiment=ring8_wgan_gp", *QUICK, *FP16, *SMALL, "iterations=2000", "eval_every=2000", "trainer.log_every_n_steps=100",
                 "callbacks.sample_grid=null", "+callbacks.scales._target_=tests.test_mixed_precision.ScaleLog"]  # fmt: skip
    results = train(compose_config(overrides, tmp_path))
    assert results["status"] == "ok" and results["iterations"] == 2000 and "nonfinite" not in results
    assert all(math.isfinite(results[name]) for name in ("train/d_loss", "train/g_loss", "train/gradient_penalty"))
    assert ScaleLog.dtypes == {torch.float16}
    print(f"loss scale: min {min(ScaleLog.scales):g}, max {max(ScaleLog.scales):g}, last {ScaleLog.scales[-1]:g}")
    assert min(ScaleLog.scales) >= 2.0**10  # measured 2^14 (one skip per 2,000 steps or so), 2^16 at most


@pytest.mark.slow
def test_every_ring8_variant_trains_in_bf16_like_fp32(tmp_path):
    """fp32 and bf16 on the same seed, 300 iterations each: finite, and mode counts close. At 300
    iterations the runs are early and their counts move by several modes between evaluations
    (measured: differences of 0-3, both ways), so the test catches a variant that bf16 breaks
    (non-finite, or no modes where fp32 finds many), not a subtle shift."""
    found = {}
    for variant in RING8:
        for precision in ("fp32", "bf16"):
            overrides = [f"experiment=ring8_{variant}", *QUICK, f"precision={precision}", "iterations=300", "eval_every=300", "trainer.log_every_n_steps=50",
                         "callbacks.sample_grid=null", "callbacks.checkpoint=null", "callbacks.variant_metrics=null"]  # fmt: skip
            results = train(compose_config(overrides, tmp_path / f"{variant}_{precision}"))
            assert results["status"] == "ok" and "nonfinite" not in results, (variant, precision, results)
            found[variant, precision] = results["val/modes"]
    print({variant: (found[variant, "fp32"], found[variant, "bf16"]) for variant in RING8})
    for variant in RING8:
        assert abs(found[variant, "fp32"] - found[variant, "bf16"]) <= 3, (variant, found)
    assert sum(found[v, "bf16"] for v in RING8) >= sum(found[v, "fp32"] for v in RING8) - 8, found



@pytest.mark.slow
def test_every_ring8_variant_trains_in_float16_with_a_grad_scaler(tmp_path):
    """16-mixed for every variant (precision=fp16_cpu: float16 autocast and Lightning's GradScaler,
    one scaler for two or three optimizers), small nets, 40 iterations: each ends ok and finite."""
    for variant in RING8:
        overrides = [f"experiment=ring8_{variant}", *QUICK, *SMALL, *FP16, "iterations=40", "eval_every=40", "trainer.log_every_n_steps=10",
                     "callbacks.sample_grid=null", "callbacks.checkpoint=null", "callbacks.variant_metrics=null"]  # fmt: skip
        results = train(compose_config(overrides, tmp_path / variant))
        assert results["status"] == "ok" and results["iterations"] == 40, (variant, results)
        assert all(math.isfinite(value) for name, value in results.items() if name.startswith("train/")), (variant, results)

# --- fragile terms in half precision: what tests/test_paper_fidelity.py does not cover --------------


def test_gradient_penalty_and_its_gradient_are_float32_under_float16_autocast():
    """test_paper_fidelity covers bf16; float16's range (max 65,504) is the harder one."""
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
    real, fake = 300 * torch.randn(32, 4), 300 * torch.randn(32, 4)  # inputs whose squares overflow float16
    results = []
    for autocast in (False, True):
        critic.zero_grad()
        torch.manual_seed(1)
        with torch.autocast("cpu", dtype=torch.float16, enabled=autocast):
            penalty = losses.gradient_penalty(critic, real, fake)
        penalty.backward()
        results.append((penalty.detach(), [p.grad.clone() for p in critic.parameters() if p.grad is not None]))
    (penalty32, grads32), (penalty16, grads16) = results
    assert penalty16.dtype == torch.float32 and penalty16.isfinite()
    torch.testing.assert_close(penalty16, penalty32, rtol=1e-6, atol=1e-7)
    for a, b in zip(grads16, grads32):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("divergence", ["kl", "reverse_kl", "pearson", "neyman", "hellinger", "jensen_shannon", "gan", "total_variation"])
def test_every_f_divergence_loss_is_float32_and_finite_on_float16_scores(divergence):
    """Scores of +-20 are float16 numbers, but exp(20) = 4.9e8 is not (test_paper_fidelity checks
    the KL conjugate at one point): every conjugate, both players' losses and the trick."""
    f = losses.f_divergence(divergence)
    scores = torch.tensor([-20.0, -3.0, 0.0, 3.0, 20.0], dtype=torch.float16)
    for loss in (losses.d_fgan(scores, scores.flip(0), f), losses.g_fgan(scores, f), losses.g_fgan(scores, f, trick=True)):
        assert loss.dtype == torch.float32 and loss.isfinite(), (divergence, loss)


@pytest.mark.parametrize(
    ("overrides", "terms"),
    [
        (["experiment=ring8_wgan_gp"], {"d_loss", "gradient_penalty"}),
        (["experiment=ring8_fgan"], {"d_loss", "g_loss"}),
        (["experiment=ring8_infogan", "model.q_head.hidden=32"], {"g_loss", "mi_bound", "q_loss"}),
        (["experiment=ring8_vaegan", "net.encoder.hidden=32"], {"e_loss", "kl", "feature_error", "g_loss"}),
        (["experiment=ring8_ebgan"], {"d_loss", "g_loss", "pulling_away"}),
    ],
    ids=["wgan_gp", "fgan", "infogan", "vaegan", "ebgan"],
)
def test_each_variant_fragile_term_is_float32_and_finite_in_a_float16_step(tmp_path, overrides, terms):
    """The fragile terms as the variants compute them, inside float16 autocast, with every
    network's last layer biased to 15: logits, log-variances and codes whose exp (3.3e6)
    overflows float16 but not float32. Backward outside autocast, as the base runs it. (The
    gradients of such terms can still overflow in the float16 layers below them: that is the
    GradScaler's to skip, and LossScaleWatch's to stop when it keeps happening.)"""
    model = instantiate(compose_config([*overrides, *QUICK, *SMALL], tmp_path).model)
    model._trainer = SimpleNamespace(max_steps=10, global_step=0, world_size=1)  # the annealed instance noise reads the budget
    with torch.no_grad():
        for network in model.children():
            last = [module for module in network.modules() if isinstance(module, nn.Linear)]
            if last:
                last[-1].bias.fill_(15.0)
    real = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
    seen = {}
    for update in model.updates:
        with torch.autocast("cpu", dtype=torch.float16):
            step = getattr(model, update.step)(real)
        step[update.loss].backward()
        seen |= step
    model._trainer = None
    for name in terms:
        assert seen[name].dtype == torch.float32 and seen[name].isfinite(), (name, seen[name])
