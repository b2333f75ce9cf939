"""The original GAN (Goodfellow et al. 2014), with its minimax or non-saturating generator loss.

The two tricks the training-tips literature recommends for it are options here:
- one-sided label smoothing (Salimans et al. 2016): real targets 1 - ``label_smoothing``;
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
    """GAN with a pluggable pair of logit losses (zoo.losses): ``d_loss(real, fake, real_label)``
    and ``g_loss(fake)``."""

    def __init__(
        self,
        *args,
        d_loss: Callable[..., Tensor],
        g_loss: Callable[[Tensor], Tensor],
        label_smoothing: float = 0.0,
        instance_noise: float = 0.0,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.d_loss, self.g_loss = d_loss, g_loss
        self.label_smoothing, self.instance_noise = label_smoothing, instance_noise

    def noisy(self, x: Tensor) -> Tensor:
        """x plus the current instance noise (none once the anneal reaches 0)."""
        std = self.instance_noise * (1.0 - self.progress)
        return x + std * torch.randn_like(x) if std > 0 else x

    def d_step(self, real: Tensor) -> dict[str, Tensor]:
        with torch.no_grad():
            fake = self.generator(self.noise(len(real)))
        real_logits = self.discriminator(self.noisy(real))
        fake_logits = self.discriminator(self.noisy(fake))
        loss = self.d_loss(real_logits, fake_logits, real_label=1.0 - self.label_smoothing)
        return {"d_loss": loss, "d_real": torch.sigmoid(real_logits).mean(), "d_fake": torch.sigmoid(fake_logits).mean()}

    def g_step(self, real: Tensor) -> dict[str, Tensor]:
        fake_logits = self.discriminator(self.noisy(self.generator(self.noise(len(real)))))
        return {"g_loss": self.g_loss(fake_logits)}
