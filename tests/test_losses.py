"""GAN losses against their closed forms (Goodfellow et al. 2014)."""

import math

import pytest
import torch

from zoo import losses


def logits_for(probability: float, n: int = 5) -> torch.Tensor:
    return torch.full((n,), math.log(probability / (1 - probability)))


def test_discriminator_loss_at_equilibrium_is_2_log_2():
    # D = 1/2 everywhere (logit 0): -log(1/2) - log(1 - 1/2) = 2 log 2, the minimax value's negative.
    zero = torch.zeros(7)
    assert losses.d_minimax(zero, zero).item() == pytest.approx(2 * math.log(2), rel=1e-6)
    assert losses.d_nonsaturating(zero, zero).item() == pytest.approx(2 * math.log(2), rel=1e-6)


@pytest.mark.parametrize("d_real, d_fake", [(0.9, 0.2), (0.3, 0.6), (0.99, 0.01)])
def test_discriminator_loss_is_cross_entropy(d_real, d_fake):
    expected = -math.log(d_real) - math.log(1 - d_fake)
    assert losses.d_minimax(logits_for(d_real), logits_for(d_fake)).item() == pytest.approx(expected, rel=1e-5)


def test_one_sided_label_smoothing_softens_only_the_real_target():
    d_real, d_fake, label = 0.8, 0.3, 0.9
    expected = -(label * math.log(d_real) + (1 - label) * math.log(1 - d_real)) - math.log(1 - d_fake)
    assert losses.d_minimax(logits_for(d_real), logits_for(d_fake), real_label=label).item() == pytest.approx(expected, rel=1e-5)
    # Fake targets stay 0: with D(fake) = 0 exactly the fake half of the loss vanishes whatever the label.
    big = torch.full((3,), -80.0)
    assert losses.d_minimax(torch.full((3,), 80.0), big, real_label=1.0).item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("d_fake", [0.1, 0.5, 0.7])
def test_generator_losses_closed_forms(d_fake):
    logits = logits_for(d_fake)
    assert losses.g_minimax(logits).item() == pytest.approx(math.log(1 - d_fake), rel=1e-5)
    assert losses.g_nonsaturating(logits).item() == pytest.approx(-math.log(d_fake), rel=1e-5)


def logit_gradient(loss_fn, probability: float) -> float:
    logit = torch.tensor([math.log(probability / (1 - probability))], requires_grad=True)
    loss_fn(logit).backward()
    return logit.grad.item()


def test_minimax_generator_saturates_when_d_rejects_fakes():
    # d/dl log(1 - sigmoid(l)) = -D: it vanishes as D(G(z)) -> 0, the start of training.
    for d_fake in (1e-2, 1e-4, 1e-6):
        assert logit_gradient(losses.g_minimax, d_fake) == pytest.approx(-d_fake, rel=1e-3)
    assert abs(logit_gradient(losses.g_minimax, 1e-6)) < 1e-5


def test_nonsaturating_generator_keeps_its_gradient_when_d_rejects_fakes():
    # d/dl -log sigmoid(l) = -(1 - D): close to -1 exactly where the minimax loss gives ~0.
    for d_fake in (1e-2, 1e-4, 1e-6):
        assert logit_gradient(losses.g_nonsaturating, d_fake) == pytest.approx(-(1 - d_fake), rel=1e-3)


def test_losses_stay_finite_for_extreme_logits():
    extreme = torch.tensor([-200.0, -50.0, 0.0, 50.0, 200.0], requires_grad=True)
    for value in (losses.d_minimax(extreme, extreme), losses.g_minimax(extreme), losses.g_nonsaturating(extreme)):
        value.backward()
        assert torch.isfinite(value) and torch.isfinite(extreme.grad).all()
        extreme.grad = None
