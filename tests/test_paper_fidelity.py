"""The variants follow their papers where review found they did not: InfoGAN's fixed-sigma Q and
trunk trained on the MI term, SN-GAN without batch norm and its CIFAR-10 preset, the test split for
the variants' own scores, the gradient penalty in float32 under autocast, VAE-GAN's fake-term
weights and BiGAN's mirrored encoder losses."""

import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from hydra.utils import instantiate
from torch import nn

from tests.conftest import QUICK, compose_config, mnist_root
from zoo import losses
from zoo.callbacks import VariantEvaluation
from zoo.errors import ConfigError
from zoo.factory import build
from zoo.metrics.matching import matched_accuracy
from zoo.nets.encoders import QHead

SMALL_INFOGAN = ["net.generator.hidden=16", "net.discriminator.hidden=16", "model.q_head.hidden=16"]


def trunk_gradients(model, loss: torch.Tensor) -> list[torch.Tensor]:
    trunk = list(model.discriminator.features.parameters())
    return [g.clone() for g in torch.autograd.grad(loss, trunk)]


# --- InfoGAN ---------------------------------------------------------------------------------------


def test_q_head_predicts_only_means_and_the_bound_has_unit_sigma():
    q = QHead(8, n_categories=3, n_continuous=2, hidden=4)
    assert [t.shape for t in q(torch.randn(5, 8))] == [(5, 3), (5, 2)]  # no log-variance to learn
    logits, categories = torch.randn(6, 3), torch.randint(3, (6,))
    mean, codes = torch.randn(6, 2, requires_grad=True), torch.rand(6, 2) * 2 - 1
    losses.info_lower_bound(logits, categories, mean, codes).backward()
    reference = mean.detach().clone().requires_grad_(True)
    torch.distributions.Normal(reference, 1.0).log_prob(codes).sum(1).mean().backward()
    torch.testing.assert_close(mean.grad, reference.grad)  # = (c - mean) / n: sigma fixed at 1
    torch.testing.assert_close(mean.grad, (codes - mean.detach()) / 6)


def test_infogan_d_update_trains_the_trunk_on_the_mi_term(tmp_path):
    cfg = compose_config(["experiment=ring8_infogan", *QUICK, *SMALL_INFOGAN], tmp_path)
    model = instantiate(cfg.model)
    real = torch.randn(32, 2, generator=torch.Generator().manual_seed(0))
    grads = {}
    for weight in (0.0, 1.0):
        model.info_weight = weight
        torch.manual_seed(0)
        grads[weight] = trunk_gradients(model, model.d_step(real)["d_loss"])
    assert any(not torch.allclose(a, b) for a, b in zip(grads[0.0], grads[1.0]))
    # The difference is exactly -lambda * grad L_I on the step's fake batch.
    torch.manual_seed(0)
    z, categories, continuous = model.draw_codes(len(real))
    with torch.no_grad():
        fake = model.generator(model.latent(z, categories, continuous))
    info = model.information(model.discriminator.features(fake), categories, continuous)
    for a, b, c in zip(grads[0.0], grads[1.0], trunk_gradients(model, info)):
        torch.testing.assert_close(b - a, -c, atol=1e-5, rtol=1e-4)


def test_mnist_infogan_preset_is_the_papers_setup(tmp_path):
    cfg = compose_config(["experiment=mnist_infogan"], tmp_path)
    model = cfg.model
    assert (model.n_categories, model.n_continuous, cfg.net.latent_dim - 12) == (10, 2, 62)
    assert (model.info_weight, model.continuous_weight) == (1.0, 1.0)
    assert (model.d_optimizer.lr, model.g_optimizer.lr) == (2.0e-4, 1.0e-3)
    generator, discriminator = instantiate(cfg.net.generator), instantiate(cfg.net.discriminator)
    assert generator(torch.randn(4, 74)).shape == (4, 1, 28, 28)
    assert discriminator.features(torch.randn(4, 1, 28, 28)).shape == (4, 1024)  # Q reads the FC 1024 layer
    convs = [m for m in discriminator.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size, c.stride) for c in convs] == [(64, (4, 4), (2, 2)), (128, (4, 4), (2, 2))]


# --- SN-GAN ----------------------------------------------------------------------------------------


def test_sngan_refuses_a_batch_norm_discriminator(tmp_path):
    cfg = compose_config(["model=sngan", "net=dcgan", "dataset=digits", "dataset.size=16", "net.generator.width=8", "net.discriminator.width=8"], tmp_path)
    with pytest.raises(ConfigError, match=r"batch norm.*net\.discriminator\.batch_norm=false") as refusal:
        build(cfg.model, "the model")
    assert "\n" not in str(refusal.value)
    cfg = compose_config(["model=sngan", "net=dcgan", "dataset=digits", "dataset.size=16", "net.discriminator.batch_norm=false", "net.generator.width=8", "net.discriminator.width=8"], tmp_path)
    assert build(cfg.model, "the model")


def test_cifar10_sngan_preset_has_the_papers_standard_cnn(tmp_path):
    cfg = compose_config(["experiment=cifar10_sngan"], tmp_path)
    assert cfg.loss.d_loss._target_ == "zoo.losses.d_hinge" and cfg.model._target_ == "zoo.models.sngan.SNGAN"
    assert (cfg.dataset.batch_size, cfg.net.latent_dim, cfg.model.n_critic) == (64, 128, 1)
    assert cfg.model.d_optimizer.lr == cfg.model.g_optimizer.lr == 2.0e-4
    assert list(cfg.model.d_optimizer.betas) == [0.5, 0.999]
    model = build(cfg.model, "the model")  # spectral norm applied, no batch norm refused
    fake = model.generator(torch.randn(2, 128))
    assert fake.shape == (2, 3, 32, 32) and model.discriminator(fake).shape == (2,)
    convs = [m for m in model.discriminator.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size[0], c.stride[0]) for c in convs] == [
        (64, 3, 1), (64, 4, 2), (128, 3, 1), (128, 4, 2), (256, 3, 1), (256, 4, 2), (512, 3, 1)
    ]  # fmt: skip
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.discriminator.modules())
    deconvs = [m for m in model.generator.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [c.out_channels for c in deconvs] == [256, 128, 64]


# --- evaluation splits ----------------------------------------------------------------------------


class RecordingVariant:
    """A stand-in LightningModule that records the data module it is scored on."""

    iteration, device = 3, torch.device("cpu")

    def __init__(self):
        self.seen = []

    def evaluate(self, datamodule):
        self.seen.append(datamodule)
        return {"matched_accuracy": 0.5}, {}


def test_variant_scores_come_from_the_test_split(tmp_path):
    cfg = compose_config(["dataset=mnist", f"dataset.root={mnist_root()}", "dataset.download=false"], tmp_path)
    callback = build(cfg.callbacks.variant_metrics, "the callback")
    trainer = SimpleNamespace(is_global_zero=True, loggers=[], global_step=6, datamodule=None, lightning_module=SimpleNamespace(iteration=3))
    variant = RecordingVariant()
    callback.evaluate(trainer, variant)
    (held,) = variant.seen
    assert held.datamodule.split == "test" and held.datamodule.data is None  # not read until used
    assert len(held.data) == 10_000 and held.labels is not None and held.kind == "images"
    assert callback.results == {"val/matched_accuracy": 0.5, "val/variant_split": "test"}


def test_infogan_scores_the_data_module_it_is_given(tmp_path):
    model = instantiate(compose_config(["experiment=ring8_infogan", *QUICK, *SMALL_INFOGAN], tmp_path).model)
    held = SimpleNamespace(data=torch.randn(40, 2), labels=torch.arange(40) % 8, kind="points")
    metrics, pictures = model.evaluate(held)
    predicted = model.predict_categories(held.data).numpy()
    assert metrics["matched_accuracy"] == matched_accuracy(predicted, held.labels.numpy())
    assert metrics["matched_error_pct"] == pytest.approx(100 * (1 - metrics["matched_accuracy"])) and pictures == {}


def test_a_data_set_without_splits_is_scored_on_its_data_and_says_so(tmp_path):
    cfg = compose_config(["dataset=ring8"], tmp_path)
    callback = build(cfg.callbacks.variant_metrics, "the callback")
    training = object()
    variant = RecordingVariant()
    callback.evaluate(SimpleNamespace(is_global_zero=True, loggers=[], global_step=6, datamodule=training, lightning_module=SimpleNamespace(iteration=3)), variant)
    assert variant.seen == [training] and callback.results["val/variant_split"] == "all"


def test_a_missing_split_is_refused_in_one_line(tmp_path):
    cfg = compose_config(["dataset=mnist"], tmp_path)
    with pytest.raises(ConfigError, match="split=valid is not a split of MNIST; choose one of: train, test"):
        VariantEvaluation(str(tmp_path), dataset=cfg.dataset, split="valid")


# --- gradient penalty under autocast ------------------------------------------------------------


def test_gradient_penalty_and_its_gradient_are_float32_under_bf16_autocast():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
    real, fake = torch.randn(32, 4), torch.randn(32, 4)
    results = []
    for autocast in (False, True):
        critic.zero_grad()
        torch.manual_seed(1)  # the same alphas
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            penalty = losses.gradient_penalty(critic, real, fake)
        penalty.backward()  # outside autocast, as PyTorch advises: the graph decides the dtypes
        results.append((penalty.detach(), [p.grad.clone() for p in critic.parameters() if p.grad is not None]))  # not the last bias
    (penalty32, grads32), (penalty16, grads16) = results
    assert penalty16.dtype == torch.float32 and len(grads16) == len(grads32) == 5
    torch.testing.assert_close(penalty16, penalty32, rtol=1e-6, atol=1e-7)
    for a, b in zip(grads16, grads32):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)


def test_backward_runs_outside_autocast_under_bf16_training(tmp_path, monkeypatch):
    """Lightning runs the training step inside autocast; the zoo's backward steps out of it, so the
    penalty's double-backward graph is differentiated in float32 (every update, every variant)."""
    import lightning as L

    cfg = compose_config(["experiment=ring8_wgan_gp", *QUICK, "net.generator.hidden=8", "net.discriminator.hidden=8"], tmp_path)
    model, datamodule = instantiate(cfg.model), instantiate(cfg.dataset)
    seen = []
    backward = type(model).manual_backward
    monkeypatch.setattr(type(model), "manual_backward", lambda self, loss: (seen.append(torch.is_autocast_enabled("cpu")), backward(self, loss)))
    trainer = L.Trainer(precision="bf16-mixed", accelerator="cpu", max_steps=2 * model.steps_per_iteration, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model, datamodule)
    assert len(seen) == 2 * model.steps_per_iteration and not any(seen)


# --- VAE-GAN --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fake_weight", [1.0, 0.5])
def test_vaegan_d_loss_weights_each_fake_term(tmp_path, fake_weight):
    small = ["net.generator.hidden=16", "net.discriminator.hidden=16", "net.encoder.hidden=16"]
    cfg = compose_config(["experiment=ring8_vaegan", *QUICK, *small, f"model.fake_weight={fake_weight}"], tmp_path)
    model = instantiate(cfg.model)
    real = torch.randn(16, 2)
    torch.manual_seed(0)
    loss = model.d_step(real)["d_loss"]
    torch.manual_seed(0)
    with torch.no_grad():
        z, _, _ = model.posterior(real)
        recon, prior = model.generator(z), model.generator(model.noise(len(real)))
        real_logits, recon_logits, prior_logits = (model.discriminator(x) for x in (real, recon, prior))
    # Larsen et al.'s L_GAN: -log Dis(x) - log(1 - Dis(Dec(Enc(x)))) - log(1 - Dis(Dec(z))), each weighted 1.
    expected = F.softplus(-real_logits).mean() + fake_weight * (F.softplus(recon_logits).mean() + F.softplus(prior_logits).mean())
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    assert compose_config(["model=vaegan"], tmp_path).model.fake_weight == 1.0  # the paper's is the default


def test_every_d_loss_weighs_its_fake_term():
    real, fake = torch.tensor([0.3, -1.2]), torch.tensor([0.8, -0.1, 2.0])
    for d_loss in (losses.d_minimax, losses.d_hinge, losses.d_wasserstein, losses.d_least_squares):
        real_part = d_loss(real, fake, fake_weight=0.0)
        assert (d_loss(real, fake, fake_weight=3.0) - real_part).item() == pytest.approx(3 * (d_loss(real, fake) - real_part).item(), rel=1e-5)
    kl = losses.f_divergence("kl")
    real_part = losses.d_fgan(real, fake, kl, fake_weight=0.0)
    assert (losses.d_fgan(real, fake, kl, fake_weight=2.0) - real_part).item() == pytest.approx(2 * (losses.d_fgan(real, fake, kl) - real_part).item(), rel=1e-5)


# --- BiGAN ----------------------------------------------------------------------------------------

SMALL_BIGAN = ["net.generator.hidden=16", "net.joint_discriminator.hidden=16", "net.encoder.hidden=16"]


def bigan(tmp_path, *overrides):
    return instantiate(compose_config(["experiment=ring8_bigan", *QUICK, *SMALL_BIGAN, *overrides], tmp_path).model)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ([], lambda s: F.softplus(s).mean()),  # -log(1 - D(x, E(x)))
        (["loss=minimax"], lambda s: -F.softplus(-s).mean()),  # log D(x, E(x))
        (["loss=least_squares"], lambda s: 0.5 * s.pow(2).mean()),  # towards the fake label a = 0
        (["loss=least_squares", "loss.a=-1.0", "loss.b=1.0", "loss.c=0.0"], lambda s: 0.5 * s.pow(2).mean()),  # a + b - c = 0
        (["loss=least_squares", "loss.a=-1.0", "loss.b=1.0", "loss.c=1.0"], lambda s: 0.5 * (s + 1).pow(2).mean()),  # a
        (["loss=hinge"], lambda s: s.mean()),
        (["loss=wasserstein"], lambda s: s.mean()),
    ],
)
def test_bigan_encoder_minimises_the_mirrored_generator_loss(tmp_path, overrides, expected):
    model = bigan(tmp_path, *overrides)
    real = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    scores = model.discriminator(real, model.encoder(real))
    assert model.e_step(real)["e_loss"].item() == pytest.approx(expected(scores).item(), rel=1e-5, abs=1e-6)


def test_bigan_least_squares_encoder_pushes_data_pairs_to_the_fake_label():
    scores = torch.tensor([1.0, 0.0, 0.5], requires_grad=True)  # D calls the first pair real, the second fake
    losses.e_least_squares(scores).backward()
    assert scores.grad.tolist() == pytest.approx([1 / 3, 0.0, 0.5 / 3])  # nothing to do where D says fake (a = 0)


def test_bigan_refuses_fgan_in_one_line(tmp_path):
    cfg = compose_config(["experiment=ring8_bigan", "loss=fgan", *SMALL_BIGAN], tmp_path)
    with pytest.raises(ConfigError, match="loss=nonsaturating, minimax, least_squares, hinge or wasserstein") as refusal:
        build(cfg.model, "the model")
    assert "\n" not in str(refusal.value)


# --- float32 for the exp and log terms --------------------------------------------------------------


def test_exp_terms_are_float32_and_finite_in_half_precision():
    half = lambda *values: torch.tensor(values, dtype=torch.float16)  # noqa: E731
    # exp(12) = 162,755 overflows float16 (max 65,504).
    kl = losses.gaussian_kl(half(0.0, 1.0).view(1, 2), half(12.0, 0.0).view(1, 2))
    assert kl.dtype == torch.float32 and kl.isfinite().all()
    assert kl.item() == pytest.approx(0.5 * (math.exp(12) - 12 - 1) + 0.5, rel=1e-6)
    conjugate = losses.d_fgan(half(0.0), half(13.0), losses.f_divergence("kl"))
    assert conjugate.dtype == torch.float32 and conjugate.item() == pytest.approx(math.exp(12), rel=1e-6)
    bound = losses.info_lower_bound(half(0.0, 0.0).view(1, 2), torch.tensor([0]), half(300.0).view(1, 1), half(0.0).view(1, 1))
    assert bound.dtype == torch.float32 and bound.isfinite()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = nn.Linear(3, 2)(torch.randn(4, 3))  # bf16 under autocast
        assert logits.dtype == torch.bfloat16
        assert losses.g_fgan(logits, losses.f_divergence("kl")).dtype == torch.float32
        assert losses.gaussian_kl(logits, logits).dtype == torch.float32
