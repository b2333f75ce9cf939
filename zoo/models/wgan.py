"""WGAN with weight clipping (Arjovsky et al. 2017).

The critic estimates the Wasserstein-1 distance, E[D(x)] - E[D(G(z))], which needs a Lipschitz
critic; WGAN enforces it crudely by clipping every critic weight to [-c, c] after each critic
step (algorithm 1, c = 0.01). The loss comes from the loss group (wasserstein by default), so
clipping also composes with other critic losses.
"""

import torch

from zoo.models.base import Update
from zoo.models.gan import GAN


class WGAN(GAN):
    """GAN whose discriminator weights are clipped to [-clip, clip] after every critic update."""

    updates = (
        Update("discriminator", "d_optimizer", "d_step", "d_loss", critic=True, after="clip_critic"),
        Update("generator", "g_optimizer", "g_step", "g_loss"),
    )

    def __init__(self, *args, clip: float = 0.01, **kwargs):
        super().__init__(*args, **kwargs)
        self.clip = clip

    @torch.no_grad()
    def clip_critic(self) -> None:
        for parameter in self.discriminator.parameters():
            parameter.clamp_(-self.clip, self.clip)
