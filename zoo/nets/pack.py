"""Packing (Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial
networks"): the discriminator judges m samples at once, concatenated into one input, so that it
sees the diversity of a group and not only the realism of each sample, which penalises a
generator that collapses onto a few modes.

Rows i*m .. i*m + m - 1 of a batch form packed row i: their features are concatenated along the
first non-batch dimension (the coordinates of a flattened point, the channels of an image). With
m = 1 both maps are the identity.
"""

from torch import Tensor, nn


def pack(x: Tensor, m: int) -> Tensor:
    """(n, d, ...) -> (n / m, m * d, ...): every m consecutive samples as one row."""
    if x.shape[0] % m:
        raise ValueError(f"cannot pack a batch of {x.shape[0]} samples into groups of {m}: the batch size must be divisible by model.pack")
    return x.reshape(x.shape[0] // m, m * x.shape[1], *x.shape[2:])


def unpack(x: Tensor, m: int) -> Tensor:
    """The inverse of ``pack``: (n / m, m * d, ...) -> (n, d, ...)."""
    return x.reshape(x.shape[0] * m, x.shape[1] // m, *x.shape[2:])


class Pack(nn.Module):
    """``pack`` as a layer, the first of a packing discriminator; with ``flatten``, each sample is
    flattened first (an MLP's input), so that ``Pack(1, flatten=True)`` is ``nn.Flatten()``."""

    def __init__(self, m: int = 1, flatten: bool = False):
        super().__init__()
        self.m, self.flatten = m, flatten

    def forward(self, x: Tensor) -> Tensor:
        return pack(x.flatten(1) if self.flatten else x, self.m)

    def extra_repr(self) -> str:
        return f"m={self.m}, flatten={self.flatten}"
