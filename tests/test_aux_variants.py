"""EBGAN, InfoGAN, VAE-GAN and BiGAN: which network each update moves, and their pure pieces
(EBGAN's margin and pulling-away term, InfoGAN's bound and matched accuracy, the VAE's KL)."""

import math

import lightning as L
import numpy as np
import pytest
import torch
from hydra.utils import instantiate

from tests.conftest import QUICK, compose_config
from zoo import losses
from zoo.data.mixtures import Ring
from zoo.metrics.matching import knn_probe_accuracy, linear_probe_accuracy, matched_accuracy

# variant -> its updates in order: (loss key, the one network that loss's step may move).
UPDATES = {
    "ebgan": [("d_loss", "discriminator"), ("g_loss", "generator")],
    "infogan": [("d_loss", "discriminator"), ("g_loss", "generator"), ("q_loss", "q_head")],
    "vaegan": [("e_loss", "encoder"), ("g_loss", "generator"), ("d_loss", "discriminator")],
    "bigan": [("d_loss", "discriminator"), ("g_loss", "generator"), ("e_loss", "encoder")],
}
SMALL = {  # small nets keep each run at a second
    "ebgan": ["net.generator.hidden=16", "net.autoencoder.hidden=16"],
    "infogan": ["net.generator.hidden=16", "net.discriminator.hidden=16", "model.q_head.hidden=16"],
    "vaegan": ["net.generator.hidden=16", "net.discriminator.hidden=16", "net.encoder.hidden=16"],
    "bigan": ["net.generator.hidden=16", "net.joint_discriminator.hidden=16", "net.encoder.hidden=16"],
}


def record_updates(model) -> list:
    """Wrap the model's ``update`` so every optimizer step records (loss key, networks moved)."""
    record, update = [], model.update

    def recording(optimizer, declared, batch):
        before = {name: p.detach().clone() for name, p in model.named_parameters()}
        terms = update(optimizer, declared, batch)
        moved = {name.split(".")[0] for name, p in model.named_parameters() if not torch.equal(before[name], p)}
        record.append((declared.loss, moved))
        return terms

    model.update = recording
    return record


@pytest.mark.parametrize("variant", sorted(UPDATES))
def test_each_update_moves_its_own_network_and_only_it(tmp_path, variant):
    cfg = compose_config([f"experiment=ring8_{variant}", *QUICK, *SMALL[variant]], tmp_path)
    model = instantiate(cfg.model)
    record = record_updates(model)
    iterations = 3
    trainer = L.Trainer(
        max_steps=iterations * model.steps_per_iteration, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False,
    )
    trainer.fit(model, datamodule=Ring(n_samples=2048, batch_size=32))
    assert record == [(key, {network}) for key, network in UPDATES[variant]] * iterations
    assert model.iteration == iterations


def test_ebgan_margin_clamps_the_fake_energy():
    real = torch.tensor([0.2, 0.4])
    fake = torch.tensor([0.5, 3.0], requires_grad=True)  # one inside the margin, one beyond it
    loss = losses.d_energy_margin(real, fake, margin=1.0)
    assert loss.item() == pytest.approx(0.3 + (1.0 - 0.5 + 0.0) / 2)
    loss.backward()
    assert fake.grad.tolist() == [-0.5, 0.0]  # beyond the margin, no push at all


def test_ebgan_energy_is_the_mean_squared_reconstruction_error():
    x, reconstruction = torch.zeros(2, 1, 2, 2), torch.tensor([1.0, 1, 1, 1, 2, 0, 0, 0]).view(2, 1, 2, 2)
    assert losses.reconstruction_energy(x, reconstruction).tolist() == [1.0, 1.0]


def test_pulling_away_is_zero_for_orthogonal_codes_and_one_for_parallel_ones():
    assert losses.pulling_away(torch.eye(4) * 3).item() == pytest.approx(0.0)
    assert losses.pulling_away(torch.ones(5, 3) * torch.arange(1.0, 6).unsqueeze(1)).item() == pytest.approx(1.0)
    # Two codes at 60 degrees: cos^2 = 1/4 for both ordered pairs.
    codes = torch.tensor([[1.0, 0.0], [0.5, math.sqrt(3) / 2]])
    assert losses.pulling_away(codes).item() == pytest.approx(0.25)


def test_vae_kl_matches_the_closed_form_of_torch_distributions():
    mean, log_var = torch.randn(6, 3), torch.randn(6, 3)
    posterior = torch.distributions.Normal(mean, (0.5 * log_var).exp())
    prior = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
    expected = torch.distributions.kl_divergence(posterior, prior).sum(dim=1)
    torch.testing.assert_close(losses.gaussian_kl(mean, log_var), expected)
    assert losses.gaussian_kl(torch.zeros(2, 4), torch.zeros(2, 4)).tolist() == [0.0, 0.0]


def test_info_bound_is_log_k_for_a_perfect_categorical_posterior_and_zero_for_an_ignorant_one():
    categories = torch.tensor([0, 3, 1, 2])
    empty = torch.zeros(4, 0)
    perfect = torch.nn.functional.one_hot(categories, 4).float() * 1e4
    assert losses.info_lower_bound(perfect, categories, empty, empty).item() == pytest.approx(math.log(4))
    assert losses.info_lower_bound(torch.zeros(4, 4), categories, empty, empty).item() == pytest.approx(0.0, abs=1e-6)
    # Continuous part: log N(c; mean, 1) + log 2 (Q's standard deviation is fixed at 1), here c = mean.
    c = torch.zeros(4, 1)
    continuous = losses.info_lower_bound(torch.zeros(4, 4), categories, c, c).item()
    assert continuous == pytest.approx(-0.5 * math.log(2 * math.pi) + math.log(2))


def test_matched_accuracy_is_exact_on_permuted_labels():
    labels = np.repeat(np.arange(10), 7)
    permutation = np.array([3, 7, 0, 9, 1, 4, 8, 2, 6, 5])
    predicted = permutation[labels]
    assert matched_accuracy(predicted, labels) == 1.0
    assert (predicted == labels).mean() < 0.2  # unmatched, the same code looks like chance
    predicted[:5] = permutation[1]  # 5 of the 7 zeros now land in the category of the ones
    assert matched_accuracy(predicted, labels) == pytest.approx(65 / 70)


def test_matched_accuracy_counts_unmatched_categories_as_errors():
    labels = np.array([0, 0, 1, 1, 1, 1])
    assert matched_accuracy(np.array([5, 5, 2, 2, 9, 9]), labels) == pytest.approx(4 / 6)


def test_probes_read_separable_labels():
    generator = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 100)
    features = np.eye(3)[labels] * 5 + generator.normal(size=(300, 3))
    assert linear_probe_accuracy(features, labels) > 0.95
    assert knn_probe_accuracy(features, labels) > 0.95
    assert knn_probe_accuracy(generator.normal(size=(300, 3)), labels) < 0.6


def test_continuous_weight_scales_only_the_continuous_part_of_the_info_bound():
    categories = torch.tensor([0, 1])
    logits, mean, codes = torch.randn(2, 3), torch.randn(2, 2), torch.rand(2, 2)
    full = losses.info_lower_bound(logits, categories, mean, codes)
    categorical = losses.info_lower_bound(logits, categories, mean, codes, continuous_weight=0.0)
    assert categorical.item() == pytest.approx(math.log(3) - torch.nn.functional.cross_entropy(logits, categories).item(), rel=1e-6)
    tenth = losses.info_lower_bound(logits, categories, mean, codes, continuous_weight=0.1)
    assert (tenth - categorical).item() == pytest.approx(0.1 * (full - categorical).item(), rel=1e-5)
