"""WGAN with weight clipping (Arjovsky et al. 2017).

The critic estimates the Wasserstein-1 distance, E[D(x)] - E[D(G(z))], which needs a Lipschitz
critic; WGAN enforces it crudely by clipping every critic weight to [-c, c] after each critic
step (algorithm 1, c = 0.01). The loss comes from the loss group (wasserstein by default), so
clipping also composes with other critic losses.
"""

import torch

from zoo.models.gan import GAN


class WGAN(GAN):
    """GAN whose discriminator weights are clipped to [-clip, clip] after every critic update."""

    def __init__(self, *args, clip: float = 0.01, **kwargs):
        super().__init__(*args, **kwargs)
        self.clip = clip

    def update(self, optimizer, step, batch, key):
        terms = super().update(optimizer, step, batch, key)
        if key == "d_loss":
            with torch.no_grad():
                for parameter in self.discriminator.parameters():
                    parameter.clamp_(-self.clip, self.clip)
        return terms
