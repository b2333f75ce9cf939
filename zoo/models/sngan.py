"""SN-GAN (Miyato et al. 2018): every discriminator layer divided by its largest singular value,
which bounds D's Lipschitz constant by 1 without a penalty term. Hinge loss by default (the
paper's best CIFAR-10 numbers); any loss composes with it. The same normalisation is available on
any run as ``net.discriminator.spectral_norm=true``.

The bound holds for a chain of normalised layers and 1-Lipschitz activations only: batch norm
divides by each batch's standard deviation, a rescaling spectral normalisation does not see, so
the paper's discriminators have none. A discriminator with batch norm is refused.
"""

from torch import nn
from torch.nn.utils import parametrize

from zoo.errors import ConfigError
from zoo.models.gan import GAN
from zoo.nets.layers import apply_spectral_norm


class SNGAN(GAN):
    """GAN with spectral normalisation applied to the injected discriminator."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.discriminator.modules()):
            raise ConfigError(
                "SN-GAN's Lipschitz bound needs a discriminator without batch norm (its per-batch rescaling "
                "escapes the spectral norm): set net.discriminator.batch_norm=false"
            )
        if not any(parametrize.is_parametrized(m) for m in self.discriminator.modules()):
            apply_spectral_norm(self.discriminator)
