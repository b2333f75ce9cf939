"""The original GAN (Goodfellow et al. 2014), with its minimax or non-saturating generator loss.

The two tricks the training-tips literature recommends for it are options here:
- one-sided label smoothing (Salimans et al. 2016): real targets below 1, an option of the
  cross-entropy losses themselves (``loss.real_label``), so no other loss can be given it;
- instance noise (Sonderby et al. 2017; Arjovsky & Bottou 2017): Gaussian noise of std
  ``instance_noise`` added to every input D sees, real and fake alike, annealed linearly to 0 over
  the training budget. It makes the two distributions overlap early on, so D cannot separate them
  perfectly and its gradients stay informative.
"""

from collections.abc import Callable

import torch
from torch import Tensor

from zoo.models.base import GANModule


class GAN(GANModule):
    """GAN with a pluggable pair of losses (zoo.losses): ``d_loss(real, fake)`` and
    ``g_loss(fake)``. With the cross-entropy losses this is Goodfellow et al.'s GAN; with
    loss=least_squares, LSGAN; loss=hinge, the hinge GAN; loss=fgan, f-GAN. The critic variants
    (WGAN, WGAN-GP, SN-GAN) subclass it and add their Lipschitz constraint."""

    def __init__(
        self,
        *args,
        d_loss: Callable[..., Tensor],
        g_loss: Callable[[Tensor], Tensor],
        instance_noise: float = 0.0,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.d_loss, self.g_loss = d_loss, g_loss
        self.instance_noise = instance_noise

    def noisy(self, x: Tensor) -> Tensor:
        """x plus the current instance noise (none once the anneal reaches 0)."""
        std = self.instance_noise * (1.0 - self.progress)
        return x + std * torch.randn_like(x) if std > 0 else x

    def d_step(self, real: Tensor) -> dict[str, Tensor]:
        with torch.no_grad():
            fake = self.generator(self.noise(len(real)))
        return self.d_terms(real, fake)

    def d_terms(self, real: Tensor, fake: Tensor) -> dict[str, Tensor]:
        """The discriminator's loss and diagnostics on one real and one generated batch."""
        real_logits = self.discriminator(self.noisy(real))
        fake_logits = self.discriminator(self.noisy(fake))
        loss = self.d_loss(real_logits, fake_logits)
        # Mean raw outputs: for a critic, d_real - d_fake is the running distance estimate.
        return {"d_loss": loss, "d_real": real_logits.mean(), "d_fake": fake_logits.mean()}

    def g_step(self, real: Tensor) -> dict[str, Tensor]:
        fake_logits = self.discriminator(self.noisy(self.generator(self.noise(len(real)))))
        return {"g_loss": self.g_loss(fake_logits)}
