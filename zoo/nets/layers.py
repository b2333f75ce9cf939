"""Pieces the architectures share."""

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) on every linear and conv layer of ``module``:
    each weight is divided by its largest singular value, estimated by one power iteration per
    forward pass in training mode."""
    for child in list(module.modules()):
        if isinstance(child, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            spectral_norm(child)
    return module
