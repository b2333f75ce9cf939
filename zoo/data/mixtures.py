"""The 2-D mixtures of Gaussians used to measure mode collapse (VEEGAN, PacGAN protocols).

Their modes are known, so a generator's samples can be scored exactly: see zoo.metrics.modes.
"""

import math

import torch
from torch import Tensor

from zoo.data.base import InMemoryDataModule


class GaussianMixture(InMemoryDataModule):
    """Equal-weight isotropic Gaussians of std ``sigma`` at ``modes``; ``n_samples`` points drawn
    once from ``seed`` (PacGAN trains on 100k-point epochs)."""

    kind = "points"

    def __init__(self, modes: Tensor, sigma: float, n_samples: int = 100_000, batch_size: int = 256, seed: int = 0):
        super().__init__(batch_size=batch_size, seed=seed)
        self.modes, self.sigma, self.n_samples = modes.float(), float(sigma), n_samples

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.modes.shape[1],)

    def load(self) -> tuple[Tensor, Tensor]:
        generator = torch.Generator().manual_seed(self.seed)
        labels = torch.randint(len(self.modes), (self.n_samples,), generator=generator)
        points = self.modes[labels] + self.sigma * torch.randn(self.n_samples, 2, generator=generator)
        return points, labels


class Ring(GaussianMixture):
    """``n_modes`` Gaussians evenly on a circle, at angles 2 pi k / n for k = 0..n-1 (no duplicated
    endpoint). PacGAN's ring: 8 modes, radius 1, sigma 0.01."""

    def __init__(self, n_modes: int = 8, radius: float = 1.0, sigma: float = 0.01, **kwargs):
        angles = 2 * math.pi * torch.arange(n_modes, dtype=torch.float64) / n_modes
        modes = radius * torch.stack([angles.cos(), angles.sin()], dim=1)
        super().__init__(modes, sigma, **kwargs)


class Grid(GaussianMixture):
    """A ``side`` x ``side`` grid of Gaussians, centred on 0 with ``spacing`` between neighbours.
    PacGAN's grid: 25 modes at {-4, -2, 0, 2, 4}^2, sigma 0.05."""

    def __init__(self, side: int = 5, spacing: float = 2.0, sigma: float = 0.05, **kwargs):
        ticks = spacing * (torch.arange(side, dtype=torch.float64) - (side - 1) / 2)
        modes = torch.cartesian_prod(ticks, ticks)
        super().__init__(modes, sigma, **kwargs)
