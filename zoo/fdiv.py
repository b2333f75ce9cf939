"""Estimate an f-divergence between two 1-D Gaussians with the zoo's f-GAN critic objective, and
compare it with the divergence's true value: ``python -m zoo.fdiv divergence=kl``.

Variational divergence estimation (Nowozin et al. 2016, section 2): a critic V maximises
E_P[g_f(V(x))] - E_Q[f*(g_f(V(x)))] on fresh samples of P and Q; at its maximum the bound equals
D_f(P || Q). The bound is zoo.losses.fgan_objective with zoo.losses' own table of g_f and f*, so the
table this command reproduces validates the f-GAN code every f-GAN run trains with. The estimate
is the bound of the trained critic on a held-out sample; the true value is the quadrature of
D_f(P || Q) = integral of q(x) f(p(x) / q(x)) dx, with f the generator whose conjugate is the f*
of zoo.losses (the convention written above zoo.losses.F_DIVERGENCES).

The table's sweep (8 divergences x 5 seeds; zoo-collect gathers the results.json files):
    python -m zoo.fdiv -m divergence=kl,reverse_kl,pearson,neyman,hellinger,jensen_shannon,gan,total_variation seed=0,1,2,3,4
"""

import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from omegaconf import DictConfig
from scipy import integrate
from torch import Tensor, nn

from zoo.cli import entry_point
from zoo.errors import ConfigError
from zoo.losses import FDivergence, f_divergence, fgan_objective

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


def gaussian(node: DictConfig, name: str) -> Gaussian:
    """The Gaussian ``{mean, std}`` of the config node ``name``, refused if its std is not > 0."""
    if not node.std > 0:
        raise ConfigError(f"{name}.std must be a number > 0, got {node.std}")
    return Gaussian(float(node.mean), float(node.std))


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


def fdiv(cfg: DictConfig) -> dict:
    """Train the critic, estimate the divergence, write results.json in the run dir and return it."""
    divergence = f_divergence(cfg.divergence)
    for key in ("steps", "batch_size", "eval_samples", "hidden"):
        if not (isinstance(cfg[key], int) and cfg[key] >= 1):
            raise ConfigError(f"{key} must be a whole number >= 1, got {cfg[key]}")
    if not cfg.lr > 0:
        raise ConfigError(f"lr must be a number > 0, got {cfg.lr}")
    p, q = gaussian(cfg.p, "p"), gaussian(cfg.q, "q")
    torch.set_num_threads(cfg.threads)
    started = time.perf_counter()
    true_value = true_divergence(cfg.divergence, p, q)
    torch.manual_seed(cfg.seed)  # the critic's initial weights
    training, held_out = torch.Generator().manual_seed(2 * cfg.seed), torch.Generator().manual_seed(2 * cfg.seed + 1)
    model = critic(cfg.hidden)
    last_batch = fit_critic(model, divergence, p, q, cfg, training)
    estimate, standard_error = held_out_bound(model, divergence, p, q, cfg.eval_samples, held_out)
    finite = math.isfinite(estimate) and math.isfinite(standard_error)  # a critic blown up to inf or nan has no estimate
    results = {
        "status": "ok" if finite else "diverged",
        "divergence": cfg.divergence,
        "estimate": estimate if finite else None,
        "estimate_stderr": standard_error if finite else None,
        "true_value": true_value,
        "rel_error_pct": 100 * abs(estimate - true_value) / abs(true_value) if finite and true_value else None,
        "last_batch_bound": last_batch if math.isfinite(last_batch) else None,
        "eval_samples": cfg.eval_samples,
        "seconds": round(time.perf_counter() - started, 2),
    }
    output_dir = Path(cfg.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "results.json").write_text(json.dumps(results, indent=2, allow_nan=False) + "\n")
    return results


@entry_point("fdiv")
def main(cfg: DictConfig) -> None:
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # a CPU job: no CUDA start-up
    r = fdiv(cfg)
    if r["status"] != "ok":
        print(f"zoo: {r['divergence']}: the critic diverged (its bound is not finite); results.json has status diverged")
        return
    print(
        f"zoo: {r['divergence']}: estimate {r['estimate']:.4f} +- {r['estimate_stderr']:.4f} (held-out, {r['eval_samples']:,} draws), "
        f"true {r['true_value']:.4f}, error {r['rel_error_pct']:.2f}% in {r['seconds']:.0f} s: {Path(cfg.output_dir) / 'results.json'}"
    )


if __name__ == "__main__":
    main()
