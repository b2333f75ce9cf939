"""BiGAN / ALI joint discriminators D(x, z) (Donahue et al. 2017; Dumoulin et al. 2017): one logit
for a pair of a data point and a code, so that D can tell (x, E(x)) from (G(z), z) only by how
x and z go together. The net group names the family (conf/net/<name>.yaml, ``joint_discriminator``).
"""

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from zoo.nets.dcgan import conv_ladder, init_dcgan_weights
from zoo.nets.encoders import mlp_trunk


class MLPJointDiscriminator(nn.Module):
    """(x, z) -> logit: the flattened x concatenated with z, through ``depth`` LeakyReLU(0.2)
    layers of ``hidden`` units. ``dropout`` after each hidden layer is ALI's regulariser of D."""

    def __init__(self, data_shape: Sequence[int], latent_dim: int, hidden: int = 128, depth: int = 3, dropout: float = 0.0):
        super().__init__()
        layers: list[nn.Module] = []
        for layer in mlp_trunk(math.prod(data_shape) + latent_dim, hidden, depth):
            layers.append(layer)
            if isinstance(layer, nn.LeakyReLU) and dropout:
                layers.append(nn.Dropout(dropout))
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        return self.head(self.features(torch.cat([x.flatten(1), z], dim=1))).squeeze(1)


class ConvJointDiscriminator(nn.Module):
    """(image, z) -> logit, ALI's layout (Dumoulin et al. 2017, appendix A): the DCGAN conv ladder
    reads x, an MLP reads z, and a joint MLP reads both feature vectors."""

    def __init__(self, data_shape: Sequence[int], latent_dim: int, width: int = 64, hidden: int = 512, dropout: float = 0.0):
        super().__init__()
        trunk, ch, start = conv_ladder(data_shape, width)
        self.x_path = nn.Sequential(trunk, nn.Flatten())
        self.z_path = nn.Sequential(nn.Linear(latent_dim, hidden), nn.LeakyReLU(0.2, True), nn.Dropout(dropout))
        self.joint = nn.Sequential(
            nn.Linear(ch * start * start + hidden, hidden), nn.LeakyReLU(0.2, True), nn.Dropout(dropout), nn.Linear(hidden, 1)
        )
        self.apply(init_dcgan_weights)

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        return self.joint(torch.cat([self.x_path(x), self.z_path(z)], dim=1)).squeeze(1)

