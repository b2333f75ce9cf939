"""The networks of PacGAN's 2-D mixture experiments (Lin et al. 2018, Table 1), as in the authors'
code (fjxmlzn/PacGAN, synthetic_data_experiments/2DRing_GAN&PacGAN/pacgan_task.py and
2DRing_ALI/pacgan_task.py, after ALI's mixture experiment):

- generator: ``depth`` hidden layers of ``hidden`` units, each linear (no bias) -> batch norm ->
  ReLU, and a linear output;
- discriminator: ``depth`` maxout layers of ``hidden`` units with ``pieces`` pieces each, and a
  linear output; packed inputs (``pack`` samples concatenated, zoo.nets.pack);
- ALI's encoder: x concatenated with Gaussian noise of x's size, through ``depth`` hidden
  linear -> batch norm -> ReLU layers, to z (a stochastic encoder);
- ALI's joint discriminator: the maxout discriminator on [x, z].

Every weight starts N(0, 0.02) and every bias 0, the code's initialisation.
"""

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from zoo.nets.pack import Pack


def init_normal(module: nn.Module, std: float = 0.02) -> None:
    """Linear weights N(0, std), biases 0 (the authors' IsotropicGaussian(0.02), Constant(0))."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, 0.0, std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def bn_relu_stack(n_in: int, hidden: int, depth: int) -> list[nn.Module]:
    """``depth`` layers of linear (no bias: batch norm shifts) -> batch norm -> ReLU."""
    layers: list[nn.Module] = []
    for n in [n_in] + [hidden] * (depth - 1):
        layers += [nn.Linear(n, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU()]
    return layers


class Maxout(nn.Module):
    """A linear map to ``n_out * pieces`` units and the maximum over each unit's ``pieces``
    (Goodfellow et al. 2013)."""

    def __init__(self, n_in: int, n_out: int, pieces: int):
        super().__init__()
        self.n_out, self.pieces = n_out, pieces
        self.linear = nn.Linear(n_in, n_out * pieces)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x).view(-1, self.n_out, self.pieces).amax(dim=2)


class BNGenerator(nn.Module):
    """z -> point through ``depth`` hidden linear -> batch norm -> ReLU layers of ``hidden`` units."""

    def __init__(self, latent_dim: int, data_shape: Sequence[int], hidden: int = 400, depth: int = 4):
        super().__init__()
        self.latent_dim, self.data_shape = latent_dim, tuple(data_shape)
        self.net = nn.Sequential(*bn_relu_stack(latent_dim, hidden, depth), nn.Linear(hidden, math.prod(self.data_shape)))
        self.apply(init_normal)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).view(-1, *self.data_shape)


class MaxoutDiscriminator(nn.Module):
    """x (``pack`` samples concatenated) -> one logit through ``depth`` maxout layers of ``hidden``
    units with ``pieces`` pieces each. ``n_extra`` more inputs per sample (ALI's z) widen it."""

    def __init__(self, data_shape: Sequence[int], hidden: int = 200, depth: int = 3, pieces: int = 5, pack: int = 1, n_extra: int = 0):
        super().__init__()
        sizes = [pack * (math.prod(data_shape) + n_extra)] + [hidden] * depth
        self.features = nn.Sequential(Pack(pack, flatten=True), *[Maxout(a, b, pieces) for a, b in zip(sizes[:-1], sizes[1:])])
        self.head = nn.Linear(hidden, 1)
        self.apply(init_normal)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)


class MaxoutJointDiscriminator(MaxoutDiscriminator):
    """(x, z) -> one logit: the maxout discriminator on the pairs [x, z] (``pack`` pairs at once)."""

    def __init__(self, data_shape: Sequence[int], latent_dim: int, hidden: int = 200, depth: int = 3, pieces: int = 5, pack: int = 1):
        super().__init__(data_shape, hidden, depth, pieces, pack, n_extra=latent_dim)

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        return super().forward(torch.cat([x.flatten(1), z], dim=1))


class NoisyEncoder(nn.Module):
    """x -> z = E([x, eps]), eps ~ N(0, I) of x's size: ALI's stochastic encoder on the mixtures,
    ``depth`` hidden linear -> batch norm -> ReLU layers of ``hidden`` units."""

    def __init__(self, data_shape: Sequence[int], latent_dim: int, hidden: int = 400, depth: int = 2):
        super().__init__()
        self.latent_dim, n_x = latent_dim, math.prod(data_shape)
        self.net = nn.Sequential(*bn_relu_stack(2 * n_x, hidden, depth), nn.Linear(hidden, latent_dim))
        self.apply(init_normal)

    def forward(self, x: Tensor) -> Tensor:
        x = x.flatten(1)
        return self.net(torch.cat([x, torch.randn_like(x)], dim=1))
