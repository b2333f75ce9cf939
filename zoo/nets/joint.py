"""BiGAN / ALI joint discriminators D(x, z) (Donahue et al. 2017; Dumoulin et al. 2017): one logit
for a pair of a data point and a code, so that D can tell (x, E(x)) from (G(z), z) only by how
x and z go together. The net group names the family (conf/net/<name>.yaml, ``joint_discriminator``).

``pack`` (PacGAN, zoo.nets.pack): one logit per ``pack`` consecutive (x, z) pairs, the pairs
concatenated into one input.
"""

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from zoo.nets.dcgan import conv_ladder, init_dcgan_weights
from zoo.nets.encoders import mlp_trunk
from zoo.nets.pack import Pack, pack


class MLPJointDiscriminator(nn.Module):
    """(x, z) -> logit: the flattened x concatenated with z, through ``depth`` LeakyReLU(0.2)
    layers of ``hidden`` units. ``dropout`` after each hidden layer is ALI's regulariser of D."""

    def __init__(self, data_shape: Sequence[int], latent_dim: int, hidden: int = 128, depth: int = 3, dropout: float = 0.0, pack: int = 1):
        super().__init__()
        self.pack = Pack(pack)
        layers: list[nn.Module] = []
        for layer in mlp_trunk(pack * (math.prod(data_shape) + latent_dim), hidden, depth):
            layers.append(layer)
            if isinstance(layer, nn.LeakyReLU) and dropout:
                layers.append(nn.Dropout(dropout))
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        return self.head(self.features(self.pack(torch.cat([x.flatten(1), z], dim=1)))).squeeze(1)


class ConvJointDiscriminator(nn.Module):
    """(image, z) -> logit, ALI's layout (Dumoulin et al. 2017, appendix A): the DCGAN conv ladder
    reads x, an MLP reads z, and a joint MLP reads both feature vectors."""

    def __init__(self, data_shape: Sequence[int], latent_dim: int, width: int = 64, hidden: int = 512, dropout: float = 0.0, pack: int = 1):
        super().__init__()
        channels, *size = data_shape
        self.m = pack  # images stacked along the channels, codes concatenated
        trunk, ch, start = conv_ladder((pack * channels, *size), width)
        self.x_path = nn.Sequential(trunk, nn.Flatten())
        self.z_path = nn.Sequential(nn.Linear(pack * latent_dim, hidden), nn.LeakyReLU(0.2, True), nn.Dropout(dropout))
        self.joint = nn.Sequential(
            nn.Linear(ch * start * start + hidden, hidden), nn.LeakyReLU(0.2, True), nn.Dropout(dropout), nn.Linear(hidden, 1)
        )
        self.apply(init_dcgan_weights)

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        return self.joint(torch.cat([self.x_path(pack(x, self.m)), self.z_path(pack(z, self.m))], dim=1)).squeeze(1)

