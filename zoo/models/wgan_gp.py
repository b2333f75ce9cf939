"""WGAN-GP (Gulrajani et al. 2017): a Wasserstein critic kept near 1-Lipschitz by a gradient
penalty on random interpolates between real and generated samples (zoo.losses.gradient_penalty).

The penalty is per-sample, so the critic must treat samples independently: batch norm couples
them, and the paper drops it (layer norm or nothing). A critic with batch norm is refused.
"""

from torch import Tensor, nn

from zoo.errors import ConfigError
from zoo.losses import gradient_penalty
from zoo.models.gan import GAN
from zoo.nets.pack import pack, unpack


class WGANGP(GAN):
    """GAN whose critic loss adds ``gp_weight`` * the gradient penalty (lambda = 10 in the paper)."""

    def __init__(self, *args, gp_weight: float = 10.0, **kwargs):
        super().__init__(*args, **kwargs)
        if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.discriminator.modules()):
            raise ConfigError(
                "WGAN-GP's penalty needs a critic without batch norm (it couples the samples the penalty "
                "treats one by one): set net.discriminator.batch_norm=false"
            )
        self.gp_weight = gp_weight

    def d_terms(self, real: Tensor, fake: Tensor) -> dict[str, Tensor]:
        terms = super().d_terms(real, fake)
        # Over D's packed inputs (PacGAN): one interpolate and one gradient norm per group of m.
        m = self.pack
        penalty = gradient_penalty(lambda packed: self.discriminator(unpack(packed, m)), pack(real, m), pack(fake, m))
        terms["d_loss"] = terms["d_loss"] + self.gp_weight * penalty
        terms["gradient_penalty"] = penalty
        return terms
