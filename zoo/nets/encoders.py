"""Encoders x -> code: the inference networks of BiGAN/ALI and VAE-GAN, and InfoGAN's Q head.

Two families, mirroring the discriminators: an MLP (2-D points, or flattened images) and a
DCGAN-style strided conv net for images. The net group names the family (conf/net/<name>.yaml,
``encoder``), so the encoder always matches the generator and discriminator.
"""

import math
from collections.abc import Sequence

from torch import Tensor, nn

from zoo.nets.dcgan import conv_ladder, init_dcgan_weights


def mlp_trunk(n_in: int, hidden: int, depth: int) -> nn.Sequential:
    """``depth`` Linear + LeakyReLU(0.2) layers of ``hidden`` units, as in the MLP discriminator."""
    layers: list[nn.Module] = []
    for n in [n_in] + [hidden] * (depth - 1):
        layers += [nn.Linear(n, hidden), nn.LeakyReLU(0.2, True)]
    return nn.Sequential(*layers)


class MLPEncoder(nn.Module):
    """x -> code of ``latent_dim`` numbers (``2 * latent_dim`` when ``gaussian``: the mean and
    log-variance of a diagonal Gaussian posterior, as a VAE encoder outputs)."""

    def __init__(self, data_shape: Sequence[int], latent_dim: int, hidden: int = 128, depth: int = 3, gaussian: bool = False):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.Flatten(), mlp_trunk(math.prod(data_shape), hidden, depth), nn.Linear(hidden, latent_dim * (2 if gaussian else 1))
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class DCGANEncoder(nn.Module):
    """Image -> code: the DCGAN discriminator's conv ladder with a ``latent_dim``-channel head
    (``2 * latent_dim`` when ``gaussian``) in place of its one logit."""

    def __init__(self, data_shape: Sequence[int], latent_dim: int, width: int = 64, gaussian: bool = False):
        super().__init__()
        self.latent_dim = latent_dim
        trunk, ch, start = conv_ladder(data_shape, width)
        self.net = nn.Sequential(trunk, nn.Conv2d(ch, latent_dim * (2 if gaussian else 1), start), nn.Flatten())
        self.apply(init_dcgan_weights)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class QHead(nn.Module):
    """InfoGAN's Q head (Chen et al. 2016, section 6 and appendix C): on the discriminator trunk's
    features, one hidden layer (FC-BN-LeakyReLU, as in the paper's tables), then the categorical
    code's logits and, for each continuous code, the mean of a Gaussian whose standard deviation is
    fixed at 1 (the official MNIST code's ``fix_std=True``).

    ``in_features`` is the width of the trunk's (flattened) output, which only the built
    discriminator knows; the InfoGAN module measures it and calls this as a factory.
    """

    def __init__(self, in_features: int, n_categories: int, n_continuous: int, hidden: int = 128):
        super().__init__()
        self.n_categories, self.n_continuous = n_categories, n_continuous
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features, hidden),
            nn.BatchNorm1d(hidden),
            nn.LeakyReLU(0.2, True),
            nn.Linear(hidden, n_categories + n_continuous),
        )

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        """(logits (n, K), mean (n, C))."""
        out = self.net(features)
        return out.split([self.n_categories, self.n_continuous], dim=1)
