"""Fully connected generator and discriminator, the networks of the 2-D mixture benchmarks.

Both work on any data shape: the generator emits ``prod(data_shape)`` numbers and reshapes them,
the discriminator flattens its input. That is how Goodfellow et al. (2014) ran MNIST, and it is why
``net=mlp`` works on image data sets too (their pixels flattened).
"""

import math
from collections.abc import Sequence

from torch import Tensor, nn

from zoo.nets.layers import apply_spectral_norm
from zoo.nets.pack import Pack


def _stack(sizes: Sequence[int], activation: type[nn.Module], **kwargs) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), activation(**kwargs)]
    return layers


class MLPGenerator(nn.Module):
    """z -> x through ``depth`` hidden ReLU layers of ``hidden`` units.

    The output is linear for points (``data_kind="points"``: the mixtures are not bounded) and tanh
    for images, whose pixels the data modules scale to [-1, 1]. The data module declares its kind.
    """

    def __init__(self, latent_dim: int, data_shape: Sequence[int], hidden: int = 128, depth: int = 3, data_kind: str = "points"):
        super().__init__()
        self.latent_dim = latent_dim
        self.data_shape = tuple(data_shape)
        layers = _stack([latent_dim] + [hidden] * depth, nn.ReLU)
        layers.append(nn.Linear(hidden, math.prod(self.data_shape)))
        if data_kind == "images":
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).view(-1, *self.data_shape)


class MLPDiscriminator(nn.Module):
    """x -> one logit through ``depth`` hidden LeakyReLU(0.2) layers.

    ``spectral_norm`` normalises every linear layer by its largest singular value (Miyato et al.
    2018), which bounds the network's Lipschitz constant by 1 (LeakyReLU is 1-Lipschitz).

    Split into ``features`` (the trunk) and ``head`` (the last linear layer), so variants that need
    the discriminator's features (a Q head, a feature-space reconstruction loss) can reach them.

    ``pack`` (PacGAN, zoo.nets.pack): one logit per ``pack`` consecutive samples, their flattened
    coordinates concatenated into one input of ``pack`` times the width.
    """

    def __init__(self, data_shape: Sequence[int], hidden: int = 128, depth: int = 3, spectral_norm: bool = False, pack: int = 1):
        super().__init__()
        self.features = nn.Sequential(
            Pack(pack, flatten=True), *_stack([pack * math.prod(data_shape)] + [hidden] * depth, nn.LeakyReLU, negative_slope=0.2)
        )
        self.head = nn.Linear(hidden, 1)
        if spectral_norm:
            apply_spectral_norm(self)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)
