"""GAN objectives as pure functions of discriminator outputs.

Every function takes raw discriminator outputs (logits or critic scores, before any sigmoid) and
returns a scalar loss to *minimise*: ``d_<name>(real, fake)`` for the discriminator,
``g_<name>(fake)`` for the generator. Working on logits lets ``softplus`` and ``binary_cross_entropy_with_logits``
do the log-sum-exp arithmetic, so no ``log(sigmoid(x))`` ever underflows to ``-inf``.

Identities used below, with D(x) = sigmoid(l):
    -log D(x)      = softplus(-l)
    -log(1 - D(x)) = softplus(l)

``fake_weight`` on every discriminator loss weighs its fake term against the real one's 1 (VAE-GAN
has two fake batches, each weighted 1 by Larsen et al.). ``e_<name>(data)`` is the mirrored
generator loss of BiGAN's encoder: it wants D to call the data-side pairs fake. Terms with exp or
log of a network output (f-GAN conjugates, the VAE's KL, InfoGAN's bound) upcast to float32, so
half-precision autocast never overflows them.
"""

import math
from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.errors import ConfigError


def d_minimax(real_logits: Tensor, fake_logits: Tensor, real_label: float = 1.0, fake_weight: float = 1.0) -> Tensor:
    """Discriminator loss of the original GAN (Goodfellow et al. 2014, eq. 1).

    -E[log D(x)] - E[log(1 - D(G(z)))], i.e. binary cross-entropy with real = 1, fake = 0.
    ``real_label`` < 1 is one-sided label smoothing (Salimans et al. 2016): only the real target
    is softened, so D is never pushed to be over-confident on real data, while fake targets stay 0.
    At D = 1/2 everywhere the loss is 2 log 2, the value at the minimax game's equilibrium.
    """
    real_target = torch.full_like(real_logits, real_label)
    return F.binary_cross_entropy_with_logits(real_logits, real_target) + fake_weight * F.binary_cross_entropy_with_logits(
        fake_logits, torch.zeros_like(fake_logits)
    )


# The non-saturating variant changes only the generator; its discriminator is the original one.
d_nonsaturating = d_minimax


def g_minimax(fake_logits: Tensor) -> Tensor:
    """Saturating generator loss, E[log(1 - D(G(z)))] (Goodfellow et al. 2014, eq. 1).

    Its gradient with respect to the logit is -D(G(z)): it vanishes exactly when D confidently
    rejects the samples, which is early in training. Kept to reproduce that failure.
    """
    return -F.softplus(fake_logits).mean()


def g_nonsaturating(fake_logits: Tensor) -> Tensor:
    """Non-saturating generator loss, -E[log D(G(z))] (Goodfellow et al. 2014, section 3).

    Same fixed point as the minimax loss, but its gradient with respect to the logit is
    -(1 - D(G(z))), strongest when D rejects the samples.
    """
    return F.softplus(-fake_logits).mean()


def e_minimax(data_logits: Tensor) -> Tensor:
    """BiGAN encoder's minimax loss E[log D(x, E(x))]: g_minimax with the roles swapped."""
    return g_minimax(-data_logits)


def e_nonsaturating(data_logits: Tensor) -> Tensor:
    """BiGAN encoder's non-saturating loss -E[log(1 - D(x, E(x)))] (Donahue et al. 2017)."""
    return g_nonsaturating(-data_logits)


# --- critics: hinge, Wasserstein, least squares --------------------------------------------------


def d_hinge(real_scores: Tensor, fake_scores: Tensor, fake_weight: float = 1.0) -> Tensor:
    """Hinge discriminator loss (Lim & Ye 2017; Miyato et al. 2018's SN-GAN):
    E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]. Scores beyond the margins cost nothing."""
    return F.relu(1.0 - real_scores).mean() + fake_weight * F.relu(1.0 + fake_scores).mean()


def g_hinge(fake_scores: Tensor) -> Tensor:
    """Hinge generator loss, -E[D(G(z))]."""
    return -fake_scores.mean()


def d_wasserstein(real_scores: Tensor, fake_scores: Tensor, fake_weight: float = 1.0) -> Tensor:
    """WGAN critic loss E[D(G(z))] - E[D(x)] (Arjovsky et al. 2017, algorithm 1). Its negative
    estimates the Wasserstein-1 distance when the critic is 1-Lipschitz."""
    return fake_weight * fake_scores.mean() - real_scores.mean()


def g_wasserstein(fake_scores: Tensor) -> Tensor:
    """WGAN generator loss, -E[D(G(z))]."""
    return -fake_scores.mean()


def e_critic(data_scores: Tensor) -> Tensor:
    """BiGAN encoder's loss under a critic (hinge, Wasserstein): E[D(x, E(x))], pushed down."""
    return data_scores.mean()


def d_least_squares(real_scores: Tensor, fake_scores: Tensor, a: float = 0.0, b: float = 1.0, fake_weight: float = 1.0) -> Tensor:
    """LSGAN discriminator loss (Mao et al. 2017, eq. 2): 1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2].
    (a, b, c) = (0, 1, 1) is the paper's 0-1 coding; (-1, 1, 0) makes G minimise the Pearson
    chi^2 divergence (its section 3.2)."""
    return 0.5 * (real_scores - b).pow(2).mean() + fake_weight * 0.5 * (fake_scores - a).pow(2).mean()


def g_least_squares(fake_scores: Tensor, c: float = 1.0) -> Tensor:
    """LSGAN generator loss, 1/2 E[(D(G(z)) - c)^2]."""
    return 0.5 * (fake_scores - c).pow(2).mean()


def e_least_squares(data_scores: Tensor, a: float = 0.0, b: float = 1.0, c: float = 1.0) -> Tensor:
    """BiGAN encoder's LSGAN loss: G's loss after the reflection s -> a + b - s that swaps the real
    and fake targets, i.e. 1/2 E[(D(x, E(x)) - (a + b - c))^2]; with (0, 1, 1), the fake target a."""
    return g_least_squares(a + b - data_scores, c)


def gradient_penalty(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor) -> Tensor:
    """WGAN-GP's penalty E[(||grad_x D(x_hat)||_2 - 1)^2] (Gulrajani et al. 2017, algorithm 1).

    x_hat = alpha x + (1 - alpha) G(z) with one alpha ~ U(0, 1) per *sample*, broadcast over its
    pixels: a per-pixel alpha would scatter x_hat off the line between the pair. The norm is taken
    per sample over all of its dimensions. Computed in float32 with autocast off, the critic's
    forward pass and the gradient alike (so its double-backward graph is float32 too), because the
    penalty differentiates a gradient, which half precision does not survive.
    """
    with torch.autocast(device_type=real.device.type, enabled=False):
        real, fake = real.detach().float(), fake.detach().float()
        alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device)
        interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        scores = critic(interpolates).float()
        (gradients,) = torch.autograd.grad(scores.sum(), interpolates, create_graph=True)
        return (gradients.flatten(1).norm(2, dim=1) - 1.0).pow(2).mean()


# --- f-GAN ---------------------------------------------------------------------------------------


class FDivergence(NamedTuple):
    """One row of Nowozin et al. 2016, table 2: the output activation g_f(v) and f*(g_f(v)), the
    conjugate composed with it. The composition is written out in closed form so that no
    log(-t) or log(1 - exp(t)) is ever evaluated at the edge of its domain."""

    activation: Callable[[Tensor], Tensor]
    conjugate_of_activation: Callable[[Tensor], Tensor]


LOG_2 = math.log(2.0)

# Conventions: D_f(P || Q) = E_Q[f(p / q)], P the data, Q the generator. The f of each row:
# kl u log u; reverse_kl -log u; pearson (u - 1)^2; neyman (1 - u)^2 / u; hellinger (sqrt(u) - 1)^2;
# jensen_shannon u log u - (u + 1) log((u + 1) / 2) (= 2 JSD); gan u log u - (u + 1) log(u + 1)
# (= 2 JSD - log 4); total_variation |u - 1| / 2.
F_DIVERGENCES: dict[str, FDivergence] = {
    "kl": FDivergence(lambda v: v, lambda v: torch.exp(v - 1.0)),
    # g = -exp(-v); f*(t) = -1 - log(-t) = -1 + v
    "reverse_kl": FDivergence(lambda v: -torch.exp(-v), lambda v: v - 1.0),
    "pearson": FDivergence(lambda v: v, lambda v: 0.25 * v * v + v),
    # g = 1 - exp(-v); f*(t) = 2 - 2 sqrt(1 - t) = 2 - 2 exp(-v / 2)
    "neyman": FDivergence(lambda v: 1.0 - torch.exp(-v), lambda v: 2.0 - 2.0 * torch.exp(-0.5 * v)),
    # g = 1 - exp(-v); f*(t) = t / (1 - t) = exp(v) - 1
    "hellinger": FDivergence(lambda v: 1.0 - torch.exp(-v), lambda v: torch.expm1(v)),
    # g = log 2 - softplus(-v); f*(t) = -log(2 - exp(t)) = softplus(v) - log 2
    "jensen_shannon": FDivergence(lambda v: LOG_2 - F.softplus(-v), lambda v: F.softplus(v) - LOG_2),
    # g = -softplus(-v) = log sigmoid(v); f*(t) = -log(1 - exp(t)) = softplus(v)
    "gan": FDivergence(lambda v: -F.softplus(-v), lambda v: F.softplus(v)),
    "total_variation": FDivergence(lambda v: 0.5 * torch.tanh(v), lambda v: 0.5 * torch.tanh(v)),
}


def f_divergence(name: str) -> FDivergence:
    """The f-GAN table row called ``name``; refuses unknown names with the valid ones."""
    if name not in F_DIVERGENCES:
        raise ConfigError(f"unknown f-divergence '{name}'; choose one of: {', '.join(F_DIVERGENCES)}")
    return F_DIVERGENCES[name]


def fgan_objective(real_scores: Tensor, fake_scores: Tensor, divergence: FDivergence, fake_weight: float = 1.0) -> Tensor:
    """The variational lower bound E_P[g_f(V(x))] - E_Q[f*(g_f(V(x)))] (Nowozin et al. 2016,
    eq. 6), which equals D_f(P || Q) at the optimal V. In float32 (exp overflows half precision)."""
    real_scores, fake_scores = real_scores.float(), fake_scores.float()
    return divergence.activation(real_scores).mean() - fake_weight * divergence.conjugate_of_activation(fake_scores).mean()


def d_fgan(real_scores: Tensor, fake_scores: Tensor, divergence: FDivergence, fake_weight: float = 1.0) -> Tensor:
    """f-GAN discriminator loss: the negated variational bound (D maximises it)."""
    return -fgan_objective(real_scores, fake_scores, divergence, fake_weight)


def g_fgan(fake_scores: Tensor, divergence: FDivergence, trick: bool = False) -> Tensor:
    """f-GAN generator loss. Default: the saddle-point form, minimise -E_Q[f*(g_f(V(G(z))))].
    ``trick``: the paper's alternative (section 3.2), maximise E_Q[g_f(V(G(z)))], which, like the
    non-saturating GAN loss, keeps gradients strong while D rejects the samples."""
    fake_scores = fake_scores.float()
    if trick:
        return -divergence.activation(fake_scores).mean()
    return -divergence.conjugate_of_activation(fake_scores).mean()


# --- EBGAN, InfoGAN and VAE-GAN terms -------------------------------------------------------
# Not logit losses: energies, codes and posteriors. Each variant's module calls them by name.


def reconstruction_energy(x: Tensor, reconstruction: Tensor) -> Tensor:
    """EBGAN's energy D(x) = ||Dec(Enc(x)) - x||^2 / dim (Zhao et al. 2017, eq. 5): per example,
    the mean squared reconstruction error of the autoencoder discriminator; shape (n,).

    Mean rather than sum over coordinates, so a margin means the same on 2-D points and on images.
    In float32 (squared errors overflow float16).
    """
    return (reconstruction.float() - x.float()).pow(2).flatten(1).mean(dim=1)


def d_energy_margin(real_energy: Tensor, fake_energy: Tensor, margin: float) -> Tensor:
    """EBGAN discriminator loss E[D(x)] + E[max(0, m - D(G(z)))] (Zhao et al. 2017, eq. 1).

    The hinge stops pushing a generated example's energy up once it exceeds the margin m, so the
    discriminator cannot win by making every energy but the data's infinite.
    """
    return real_energy.mean() + F.relu(margin - fake_energy).mean()


def pulling_away(codes: Tensor) -> Tensor:
    """EBGAN's pulling-away term (Zhao et al. 2017, eq. 9) on a batch of encoder codes (n, ...):
    the mean squared cosine similarity over the n (n - 1) ordered pairs of distinct examples.

    It is small when the generated batch's codes point in different directions, which keeps the
    generator from collapsing onto one low-energy point. Zero for n = 1 (no pairs). In float32 with
    autocast off: the sum of n^2 squared cosines, near 1 each early on, overflows float16 at n = 256
    (measured: EBGAN's G loss inf at the first float16 step).
    """
    n = len(codes)
    if n < 2:
        return codes.new_zeros((), dtype=torch.float32)
    with torch.autocast(device_type=codes.device.type, enabled=False):
        codes = F.normalize(codes.flatten(1).float(), dim=1)
        cosines = codes @ codes.T
        return (cosines.pow(2).sum() - cosines.diagonal().pow(2).sum()) / (n * (n - 1))


def info_lower_bound(logits: Tensor, categories: Tensor, mean: Tensor, continuous: Tensor, continuous_weight: float = 1.0) -> Tensor:
    """InfoGAN's variational lower bound L_I(G, Q) = E[log Q(c | G(z, c))] + H(c) on the mutual
    information I(c; G(z, c)) (Chen et al. 2016, eq. 4), in nats, averaged over the batch.

    The codes: ``categories`` (n,) indices of a uniform K-way categorical (entropy log K), whose
    posterior Q predicts as ``logits`` (n, K); ``continuous`` (n, C) drawn from U(-1, 1) (entropy
    log 2 each), whose posterior is a factored Gaussian of ``mean`` (n, C) and standard deviation
    fixed at 1, as in the official MNIST code (openai/InfoGAN, ``Uniform(1, fix_std=True)``): a
    learnt variance can shrink until one continuous code outweighs the categorical one.
    H(c) is a constant, included so the number is the bound itself; the categorical part lies in
    [0, log K], 0 for a Q that has learnt nothing about the categories. ``continuous_weight`` < 1
    scales the continuous codes' part down (a training objective then, no longer the bound).
    In float32.
    """
    logits, mean, continuous = logits.float(), mean.float(), continuous.float()
    categorical = -F.cross_entropy(logits, categories) + math.log(logits.shape[1])
    log_likelihood = -0.5 * (math.log(2 * math.pi) + (continuous - mean).pow(2))
    return categorical + continuous_weight * (log_likelihood.sum(dim=1).mean() + continuous.shape[1] * math.log(2.0))


def gaussian_kl(mean: Tensor, log_var: Tensor) -> Tensor:
    """KL(N(mean, exp(log_var)) || N(0, I)) per example, summed over latent dimensions; shape (n,).

    The closed form 0.5 * sum(mean^2 + var - log var - 1) of the VAE prior term (Kingma & Welling
    2014, appendix B), used by VAE-GAN's encoder (Larsen et al. 2016, eq. 3). In float32.
    """
    mean, log_var = mean.float(), log_var.float()
    return 0.5 * (mean.pow(2) + log_var.exp() - log_var - 1).sum(dim=1)


def feature_reconstruction_error(real_features: Tensor, reconstructed_features: Tensor) -> Tensor:
    """VAE-GAN's learned-similarity reconstruction error (Larsen et al. 2016, eq. 8): the negative
    log-likelihood, up to a constant, of the discriminator's l-th layer features of x under a
    unit-variance Gaussian centred on those of the reconstruction; 0.5 * squared error summed over
    features, averaged over the batch. In float32 (a sum of squares over a layer overflows float16)."""
    return 0.5 * (reconstructed_features.float() - real_features.float()).pow(2).flatten(1).sum(dim=1).mean()
