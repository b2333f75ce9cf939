"""The "standard CNN" of SN-GAN's CIFAR-10 and STL-10 experiments (Miyato et al. 2018, table 3),
for square images whose size is divisible by 8 (32: CIFAR-10, M_g = 4; 48: STL-10, M_g = 6).

Generator: z -> dense to M_g x M_g x 512 (BN, ReLU), three 4x4 stride-2 deconvolutions to 256,
128 and 64 channels (BN, ReLU), a 3x3 conv to the image channels, tanh. The batch norm after the
dense layer and the N(0, 0.02) weights are the authors' Chainer code's (pfnet-research/
chainer-gan-lib, common/net.py; its LeakyReLU slope is Chainer's 0.2, the paper's table says 0.1).
Discriminator: 3x3 s1 conv 64, 4x4 s2 conv 64, 3x3 conv 128, 4x4 s2 conv 128, 3x3 conv 256, 4x4
s2 conv 256, 3x3 conv 512, each followed by LeakyReLU(0.1), then a dense layer to one score. No
batch norm: model=sngan normalises every layer spectrally.
"""

from torch import Tensor, nn

from zoo.nets.dcgan import halved_image, init_dcgan_weights
from zoo.nets.layers import apply_spectral_norm


class StandardCNNGenerator(nn.Module):
    """z -> image in [-1, 1] of shape ``data_shape``."""

    def __init__(self, latent_dim: int, data_shape, width: int = 64):
        super().__init__()
        channels, start = halved_image(data_shape, 3, "standard_cnn")
        self.latent_dim = latent_dim
        ch = 8 * width  # 512
        layers: list[nn.Module] = [
            nn.Linear(latent_dim, ch * start * start), nn.BatchNorm1d(ch * start * start), nn.ReLU(True),
            nn.Unflatten(1, (ch, start, start)),
        ]  # fmt: skip
        for _ in range(3):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.Conv2d(ch, channels, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(init_dcgan_weights)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class StandardCNNDiscriminator(nn.Module):
    """Image -> one score; ``features`` (the conv stack, flattened) and ``head`` (the dense layer).
    ``spectral_norm=True`` normalises every layer here (model=sngan does it too)."""

    def __init__(self, data_shape, width: int = 64, slope: float = 0.1, spectral_norm: bool = False):
        super().__init__()
        channels, start = halved_image(data_shape, 3, "standard_cnn")
        layers: list[nn.Module] = []
        ch_in = channels
        for ch in (width, 2 * width, 4 * width):  # 64, 128, 256: a 3x3 conv, then a 4x4 stride-2 one
            layers += [nn.Conv2d(ch_in, ch, 3, 1, 1), nn.LeakyReLU(slope, True), nn.Conv2d(ch, ch, 4, 2, 1), nn.LeakyReLU(slope, True)]
            ch_in = ch
        layers += [nn.Conv2d(ch_in, 8 * width, 3, 1, 1), nn.LeakyReLU(slope, True), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(8 * width * start * start, 1)
        self.apply(init_dcgan_weights)
        if spectral_norm:
            apply_spectral_norm(self)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)
