"""InfoGAN's MNIST networks (Chen et al. 2016, appendix C.1, table 1; openai/InfoGAN's "mnist"
network type), for 28-pixel images (any size divisible by 4).

Discriminator trunk: conv 64 4x4 s2 lReLU, conv 128 4x4 s2 BN lReLU, FC 1024 BN lReLU; D's head
is one FC unit on it, and the Q head (zoo.nets.encoders.QHead, FC 128 BN lReLU then the codes)
reads the same 1024 features. Generator: FC 1024 BN ReLU, FC 7x7x128 BN ReLU, upconv 64 4x4 s2 BN
ReLU, upconv to the channels 4x4 s2. Leaky slope 0.1 as the paper states (the official code uses
0.01); the output is tanh, for the zoo's [-1, 1] pixels, where the official code has a Bernoulli
mean (sigmoid). Weights N(0, 0.02), as in the official code.
"""

from torch import Tensor, nn

from zoo.nets.dcgan import halved_image, init_dcgan_weights


class InfoGANGenerator(nn.Module):
    """z -> image in [-1, 1] of shape ``data_shape`` (the paper's MNIST generator)."""

    def __init__(self, latent_dim: int, data_shape, hidden: int = 1024, width: int = 64):
        super().__init__()
        channels, quarter = halved_image(data_shape, 2, "infogan")
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(True),
            nn.Linear(hidden, 2 * width * quarter * quarter), nn.BatchNorm1d(2 * width * quarter * quarter), nn.ReLU(True),
            nn.Unflatten(1, (2 * width, quarter, quarter)),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(True),
            nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh(),
        )  # fmt: skip
        self.apply(init_dcgan_weights)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class InfoGANDiscriminator(nn.Module):
    """Image -> one logit, split into ``features`` (the trunk the Q head shares, ending in the FC
    1024 layer) and ``head`` (one FC unit)."""

    def __init__(self, data_shape, hidden: int = 1024, width: int = 64, slope: float = 0.1):
        super().__init__()
        channels, quarter = halved_image(data_shape, 2, "infogan")
        self.features = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(slope, True),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width), nn.LeakyReLU(slope, True),
            nn.Flatten(), nn.Linear(2 * width * quarter * quarter, hidden), nn.BatchNorm1d(hidden), nn.LeakyReLU(slope, True),
        )  # fmt: skip
        self.head = nn.Linear(hidden, 1)
        self.apply(init_dcgan_weights)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)
