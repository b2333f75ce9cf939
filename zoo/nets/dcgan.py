"""DCGAN generator and discriminator (Radford et al. 2016), sized for 8 to 64 pixel images.

The recipe of the paper: strided (transposed) convolutions instead of pooling, batch norm in both
networks except the generator's output and the discriminator's input layer, ReLU in the generator
with a tanh output, LeakyReLU(0.2) in the discriminator, weights drawn from N(0, 0.02).

The image is built from a ``start x start`` seed (4x4, or 7x7 for 28-pixel data) doubled by each
stride-2 layer, so the supported sizes are 4 * 2^k (8, 16, 32, 64) and 28.
"""

from torch import Tensor, nn

from zoo.nets.layers import apply_spectral_norm
from zoo.nets.pack import Pack

SIZES = (8, 16, 28, 32, 64)


def image_shape(data_shape) -> tuple[int, int, int]:
    """(channels, size, size) of square images, or a refusal for data that are not images."""
    if len(data_shape) != 3 or data_shape[1] != data_shape[2]:
        raise ValueError(f"the dcgan net is for square images (C, H, W) but the data have shape {list(data_shape)}: choose net=mlp")
    return tuple(data_shape)


def halved_image(data_shape, halvings: int, net: str) -> tuple[int, int]:
    """(channels, size / 2**halvings) of square images that ``halvings`` stride-2 layers halve
    exactly (the fixed-depth nets: infogan, standard_cnn), or a refusal naming ``net``."""
    channels, size, _ = image_shape(data_shape)
    if size % 2**halvings:
        raise ValueError(f"the {net} net needs an image size divisible by {2**halvings}, not {size}: choose net=dcgan")
    return channels, size // 2**halvings


def _ladder(size: int) -> tuple[int, int]:
    """(start, number of doublings) that build ``size``: 64 -> (4, 4), 28 -> (7, 2)."""
    if size not in SIZES:
        raise ValueError(f"the dcgan net builds images of {', '.join(map(str, SIZES))} pixels, not {size}")
    start, doublings = size, 0
    while start > 7:
        start, doublings = start // 2, doublings + 1
    return start, doublings


def init_dcgan_weights(module: nn.Module) -> None:
    """The paper's initialisation: conv weights N(0, 0.02), batch-norm scales N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """z -> image in [-1, 1] of shape ``data_shape`` = (channels, size, size)."""

    def __init__(self, latent_dim: int, data_shape: tuple[int, int, int], width: int = 64):
        super().__init__()
        channels, size, _ = image_shape(data_shape)
        start, doublings = _ladder(size)
        self.latent_dim = latent_dim
        ch = width * 2 ** (doublings - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, ch, start, 1, 0, bias=False),  # 1x1 -> start x start
            nn.BatchNorm2d(ch),
            nn.ReLU(True),
        ]
        for _ in range(doublings - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(init_dcgan_weights)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1))


def conv_ladder(data_shape: tuple[int, int, int], width: int = 64, batch_norm: bool = True) -> tuple[nn.Sequential, int, int]:
    """The DCGAN discriminator's strided conv ladder: image -> (channels, start, start) features,
    LeakyReLU(0.2) throughout, batch norm on all but the first layer. Returns (ladder, channels,
    start) so that a head can map the last feature map to a logit, a code or anything else."""
    channels, size, _ = image_shape(data_shape)
    start, doublings = _ladder(size)
    layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    ch = width
    for _ in range(doublings - 1):
        layers.append(nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm2d(ch * 2))
        layers.append(nn.LeakyReLU(0.2, True))
        ch *= 2
    return nn.Sequential(*layers), ch, start


class DCGANDiscriminator(nn.Module):
    """Image -> one logit. ``batch_norm=False`` gives the critic that gradient penalties need;
    ``spectral_norm=True`` normalises every conv layer (Miyato et al. 2018). ``pack`` (PacGAN):
    one logit per ``pack`` consecutive images, stacked along the channels (zoo.nets.pack)."""

    def __init__(self, data_shape: tuple[int, int, int], width: int = 64, batch_norm: bool = True, spectral_norm: bool = False, pack: int = 1):
        super().__init__()
        channels, size, _ = image_shape(data_shape)
        self.pack = Pack(pack)  # no parameters: the state dict is the unpacked one's
        self.features, ch, start = conv_ladder((pack * channels, size, size), width, batch_norm)
        self.head = nn.Conv2d(ch, 1, start, 1, 0)  # start x start -> 1x1
        self.apply(init_dcgan_weights)
        if spectral_norm:
            apply_spectral_norm(self)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(self.pack(x))).flatten()
