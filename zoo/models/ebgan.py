"""Energy-based GAN (Zhao et al. 2017).

The discriminator is an autoencoder, and its energy is the reconstruction error: low on data,
pushed up to at least a margin m on generated examples. The generator lowers the energy of its
samples, plus the pulling-away term on their codes (EBGAN-PT), which keeps a batch's codes
mutually orthogonal and so keeps the generator from collapsing onto one low-energy point.

Updates follow the paper's alternation: one discriminator step, then one generator step.
"""

import torch
from torch import Tensor

from zoo import losses
from zoo.models.base import GANModule


class EBGAN(GANModule):
    """EBGAN with an autoencoder ``discriminator`` (x -> (reconstruction, code); see
    zoo.nets.autoencoder).

    Args:
        margin: m in D's loss E(x) + max(0, m - E(G(z))), in units of the energy (mean squared
            reconstruction error per coordinate).
        pt_weight: weight of the pulling-away term in G's loss (the paper's 0.1); 0 is plain EBGAN.
    """

    packable = False  # the energy is one sample's reconstruction error

    def __init__(self, *args, margin: float = 1.0, pt_weight: float = 0.1, **kwargs):
        super().__init__(*args, **kwargs)
        self.margin, self.pt_weight = margin, pt_weight

    def energy(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(per-example energy (n,), autoencoder code) of x."""
        reconstruction, code = self.discriminator(x)
        return losses.reconstruction_energy(x, reconstruction), code

    def d_step(self, real: Tensor) -> dict[str, Tensor]:
        with torch.no_grad():
            fake = self.generator(self.noise(len(real)))
        real_energy, _ = self.energy(real)
        fake_energy, _ = self.energy(fake)
        loss = losses.d_energy_margin(real_energy, fake_energy, self.margin)
        return {"d_loss": loss, "energy_real": real_energy.mean(), "energy_fake": fake_energy.mean()}

    def g_step(self, real: Tensor) -> dict[str, Tensor]:
        fake_energy, code = self.energy(self.generator(self.noise(len(real))))
        pulling_away = losses.pulling_away(code)
        return {"g_loss": fake_energy.mean() + self.pt_weight * pulling_away, "pulling_away": pulling_away}

    def evaluate(self, datamodule, n: int = 2048) -> tuple[dict[str, float], dict]:
        """Both energies in eval mode, on ``n`` held data points and ``n`` samples: how far apart
        the discriminator holds data and generator (the margin is the most it tries for)."""
        real = datamodule.data[:n].to(self.device)
        fake = self.sample(len(real), seed=0)
        with self.evaluating():
            real_energy, _ = self.energy(real)
            fake_energy, _ = self.energy(fake)
        return {"energy_real": real_energy.mean().item(), "energy_fake": fake_energy.mean().item()}, {}
