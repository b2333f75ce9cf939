"""Variational estimation of f-divergences (Nowozin et al. 2016, section 2) between two 1-D
Gaussians, with zoo.losses' own f-GAN objective: a critic V maximises E_P[g_f(V(x))] -
E_Q[f*(g_f(V(x)))] on fresh samples; at its maximum the bound equals D_f(P || Q). The true value
to compare with is the quadrature of D_f(P || Q) = integral of q(x) f(p(x) / q(x)) dx, with f the
generator whose conjugate is zoo.losses' f* (the convention above zoo.losses.F_DIVERGENCES).
zoo.fdiv runs one estimate; `make table-fdiv` the table of all eight.
"""

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from omegaconf import DictConfig
from scipy import integrate
from torch import Tensor, nn

from zoo.losses import FDivergence, fgan_objective

# The generator f(u), u = p / q, of each row of zoo.losses.F_DIVERGENCES: the f whose convex
# conjugate is that row's f* (Nowozin et al. 2016, table 1; tests/test_fdiv.py checks the pairs).
GENERATORS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "kl": lambda u: u * np.log(u),
    "reverse_kl": lambda u: -np.log(u),
    "pearson": lambda u: (u - 1) ** 2,
    "neyman": lambda u: (1 - u) ** 2 / u,
    "hellinger": lambda u: (np.sqrt(u) - 1) ** 2,
    "jensen_shannon": lambda u: u * np.log(u) - (u + 1) * np.log((u + 1) / 2),  # 2 JSD(P, Q)
    "gan": lambda u: u * np.log(u) - (u + 1) * np.log(u + 1),  # 2 JSD(P, Q) - log 4
    "total_variation": lambda u: 0.5 * np.abs(u - 1),
}


class Gaussian(NamedTuple):
    """A 1-D Gaussian N(mean, std^2): P or Q."""

    mean: float
    std: float

    def log_density(self, x: np.ndarray) -> np.ndarray:
        return -0.5 * ((x - self.mean) / self.std) ** 2 - math.log(self.std * math.sqrt(2 * math.pi))

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """n draws as an (n, 1) tensor, from ``generator``."""
        return self.mean + self.std * torch.randn(n, 1, generator=generator)


def true_divergence(name: str, p: Gaussian, q: Gaussian) -> float:
    """D_f(P || Q) = integral of q(x) f(p(x) / q(x)) dx by adaptive quadrature, over 20 standard
    deviations either side of both means (beyond them the integrand is below double precision)."""
    f = GENERATORS[name]
    spread = 20 * max(p.std, q.std)
    lo, hi = min(p.mean, q.mean) - spread, max(p.mean, q.mean) + spread
    integrand = lambda x: np.exp(q.log_density(x)) * f(np.exp(p.log_density(x) - q.log_density(x)))  # noqa: E731
    value, _ = integrate.quad(integrand, lo, hi, points=sorted({p.mean, q.mean}), limit=500, epsabs=1e-12, epsrel=1e-10)
    return value


def critic(hidden: int) -> nn.Module:
    """The critic V: an MLP on R with two hidden layers of ``hidden`` SiLU units. Smooth, because
    most optimal critics here (V* = f'(p/q) through g_f's inverse) are smooth in x."""
    return nn.Sequential(nn.Linear(1, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 1))


def fit_critic(model: nn.Module, divergence: FDivergence, p: Gaussian, q: Gaussian, cfg: DictConfig, generator: torch.Generator) -> float:
    """Maximise the bound with Adam on fresh batches of P and Q each step, the learning rate
    decaying to 0 on a cosine (so the last steps average the batch noise out); returns the bound
    on the last batch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.steps)
    bound = torch.zeros(())
    for _ in range(cfg.steps):
        bound = fgan_objective(model(p.sample(cfg.batch_size, generator)), model(q.sample(cfg.batch_size, generator)), divergence)
        optimizer.zero_grad()
        (-bound).backward()
        optimizer.step()
        schedule.step()
    return bound.item()


@torch.no_grad()
def held_out_bound(model: nn.Module, divergence: FDivergence, p: Gaussian, q: Gaussian, n: int, generator: torch.Generator) -> tuple[float, float]:
    """The bound (zoo.losses.fgan_objective, in float64) of the trained critic on n fresh draws of
    each of P and Q, with its standard error from the variances of its two terms. The critic runs
    on chunks of 100,000, so its hidden activations stay small."""
    chunks = [min(100_000, n - start) for start in range(0, n, 100_000)]
    real = torch.cat([model(p.sample(chunk, generator)) for chunk in chunks]).double()
    fake = torch.cat([model(q.sample(chunk, generator)) for chunk in chunks]).double()
    variance = divergence.activation(real).var() / n + divergence.conjugate_of_activation(fake).var() / n
    return fgan_objective(real, fake, divergence).item(), math.sqrt(variance.item())
