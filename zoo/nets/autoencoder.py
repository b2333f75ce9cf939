"""EBGAN's discriminators (Zhao et al. 2017): autoencoders whose reconstruction error is the
energy. Each returns the reconstruction and the code, since the pulling-away term works on codes.

An encoder of zoo.nets.encoders followed by the generator of the same family as decoder. The net
group names the family (conf/net/<name>.yaml, ``autoencoder``): the MLP for points or flattened
images, the DCGAN-style conv net for images.
"""

from collections.abc import Sequence

from torch import Tensor, nn

from zoo.nets.dcgan import DCGANGenerator
from zoo.nets.encoders import DCGANEncoder, MLPEncoder
from zoo.nets.mlp import MLPGenerator


class Autoencoder(nn.Module):
    """x -> (Dec(Enc(x)), Enc(x))."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        code = self.encoder(x)
        return self.decoder(code), code


class MLPAutoencoder(Autoencoder):
    """Fully connected: ``depth`` hidden layers of ``hidden`` units on each side of a
    ``code_dim`` bottleneck; tanh output for images, linear for points (``data_kind``)."""

    def __init__(self, data_shape: Sequence[int], code_dim: int, hidden: int = 128, depth: int = 3, data_kind: str = "points"):
        super().__init__(MLPEncoder(data_shape, code_dim, hidden, depth), MLPGenerator(code_dim, data_shape, hidden, depth, data_kind))


class ConvAutoencoder(Autoencoder):
    """DCGAN-style: the strided conv encoder to a ``code_dim`` vector, and the DCGAN generator
    back to the image (the paper's MNIST autoencoder is this shape of net)."""

    def __init__(self, data_shape: Sequence[int], code_dim: int, width: int = 64):
        super().__init__(DCGANEncoder(data_shape, code_dim, width), DCGANGenerator(code_dim, data_shape, width))

