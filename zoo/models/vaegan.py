"""VAE-GAN (Larsen et al. 2016, "Autoencoding beyond pixels using a learned similarity metric").

A VAE whose decoder is also a GAN generator, and whose reconstruction error is measured in the
discriminator's l-th layer features instead of pixels: features of a good reconstruction match
those of its input even where the pixels are slightly off, which a pixel error punishes.

Three networks and three updates per batch, in the order of the paper's Algorithm 1:
- encoder:       L_prior + L_llike          (KL to N(0, I) plus the feature reconstruction error)
- decoder (= G): gamma * L_llike - L_GAN    (on reconstructions and on prior samples alike)
- discriminator: L_GAN                      (real against reconstructions and prior samples)
The GAN objective does not reach the encoder, as in the paper. In L_GAN each fake term weighs as
much as the real one (log Dis(x) + log(1 - Dis(Dec(z))) + log(1 - Dis(Dec(Enc(x)))), eq. 5 and
Algorithm 1); ``fake_weight`` 0.5 averages the two fake terms instead.
"""

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo import losses
from zoo.models.base import GANModule, OptimizerFactory, Update
from zoo.plots import image_grid


class VAEGAN(GANModule):
    """VAE-GAN on any net pair whose discriminator exposes ``features`` (its l-th layer, the
    trunk) and ``head``.

    Args:
        encoder: factory of the encoder (the net group's ``encoder``), asked here for a Gaussian
            posterior: x -> (n, 2 * latent_dim), the mean and log-variance of q(z | x).
        e_optimizer: factory for the encoder's optimizer.
        d_loss, g_loss: the GAN's logit losses (the loss group).
        gamma: weight of the feature reconstruction error against the GAN objective in the
            decoder's loss (the paper's gamma).
        fake_weight: weight of each of D's two fake terms (reconstructions, prior samples)
            against the real term's 1: the paper's 1; 0.5 averages them.
    """

    # The paper's Algorithm 1 order: encoder, decoder, discriminator, one step each per batch.
    updates = (
        Update("encoder", "e_optimizer", "e_step", "e_loss"),
        Update("generator", "g_optimizer", "g_step", "g_loss"),
        Update("discriminator", "d_optimizer", "d_step", "d_loss", critic=True),
    )
    packable = False  # the feature reconstruction loss reads D's features sample by sample

    def __init__(
        self,
        *args,
        encoder: Callable[..., nn.Module],
        e_optimizer: OptimizerFactory,
        d_loss: Callable[..., Tensor],
        g_loss: Callable[[Tensor], Tensor],
        gamma: float = 1.0,
        fake_weight: float = 1.0,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.encoder, self.e_optimizer = encoder(gaussian=True), e_optimizer
        self.d_loss, self.g_loss, self.gamma, self.fake_weight = d_loss, g_loss, gamma, fake_weight

    def posterior(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(z ~ q(z | x) by the reparameterisation trick, mean, log_var)."""
        mean, log_var = self.encoder(x).chunk(2, dim=1)
        return mean + torch.randn_like(mean) * (0.5 * log_var).exp(), mean, log_var

    def discriminate(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(D's logits (n,), its l-th layer features Dis_l(x)) in one pass."""
        features = self.discriminator.features(x)
        return self.discriminator.head(features).flatten(), features

    def e_step(self, real: Tensor) -> dict[str, Tensor]:
        z, mean, log_var = self.posterior(real)
        kl = losses.gaussian_kl(mean, log_var).mean()
        feature_error = losses.feature_reconstruction_error(self.discriminator.features(real), self.discriminator.features(self.generator(z)))
        return {"e_loss": kl + feature_error, "kl": kl, "feature_error": feature_error}

    def g_step(self, real: Tensor) -> dict[str, Tensor]:
        with torch.no_grad():
            z, _, _ = self.posterior(real)
        recon_logits, recon_features = self.discriminate(self.generator(z))
        prior_logits, _ = self.discriminate(self.generator(self.noise(len(real))))
        feature_error = losses.feature_reconstruction_error(self.discriminator.features(real), recon_features)
        gan = self.g_loss(recon_logits) + self.g_loss(prior_logits)
        return {"g_loss": self.gamma * feature_error + gan, "g_gan": gan}

    def d_step(self, real: Tensor) -> dict[str, Tensor]:
        with torch.no_grad():
            z, _, _ = self.posterior(real)
            fake = torch.cat([self.generator(z), self.generator(self.noise(len(real)))])
        real_logits, _ = self.discriminate(real)
        fake_logits, _ = self.discriminate(fake)
        # The two equal-sized fake batches in one mean: twice the weight gives each its fake_weight.
        loss = self.d_loss(real_logits, fake_logits, fake_weight=2 * self.fake_weight)
        return {"d_loss": loss, "d_real": real_logits.mean(), "d_fake": fake_logits.mean()}

    def evaluate(self, datamodule, n: int = 2048) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        """Reconstruction errors of the first ``n`` examples of ``datamodule`` (the held split the
        VariantEvaluation callback chose) through the posterior mean, in eval
        mode: in pixels (mean squared error per coordinate) and in D's l-th layer features (the
        training criterion); for images, a picture of inputs, their reconstructions and prior
        samples."""
        real = datamodule.data[:n].to(self.device)
        pictures = {}
        with self.evaluating():
            _, mean, _ = self.posterior(real)
            recon = self.generator(mean)
            metrics = {
                "pixel_error": F.mse_loss(recon, real).item(),
                "feature_error": losses.feature_reconstruction_error(self.discriminator.features(real), self.discriminator.features(recon)).item(),
            }
            if datamodule.kind == "images":
                prior = self.generator(self.fixed_noise[:16])
                rows = [real[:8], recon[:8], real[8:16], recon[8:16], prior]
                pictures["reconstructions"] = image_grid(torch.cat(rows), nrow=8)
        return metrics, pictures
