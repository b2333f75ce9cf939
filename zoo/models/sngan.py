"""SN-GAN (Miyato et al. 2018): every discriminator layer divided by its largest singular value,
which bounds D's Lipschitz constant by 1 without a penalty term. Hinge loss by default (the
paper's best CIFAR-10 numbers); any loss composes with it. The same normalisation is available on
any run as ``net.discriminator.spectral_norm=true``.
"""

from torch.nn.utils import parametrize

from zoo.models.gan import GAN
from zoo.nets.layers import apply_spectral_norm


class SNGAN(GAN):
    """GAN with spectral normalisation applied to the injected discriminator."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not any(parametrize.is_parametrized(m) for m in self.discriminator.modules()):
            apply_spectral_norm(self.discriminator)
