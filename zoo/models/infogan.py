"""InfoGAN (Chen et al. 2016): a GAN whose generator input carries latent codes c that the
samples must reveal.

The generator's input is [z, one_hot(c_cat), c_cont]: noise, a uniform K-way categorical code and
C continuous codes from U(-1, 1). A Q head on the discriminator's trunk predicts the codes back
from a sample (the categorical logits, and per continuous code the mean of a Gaussian whose
standard deviation is fixed at 1), and lambda times the variational lower bound L_I on the mutual
information I(c; G(z, c)) is subtracted from every network's loss (eq. 5: min over G, Q, max over
D of V(D, G) - lambda L_I(G, Q)). Nothing tells the codes what to mean: on MNIST the categorical
one comes to pick the digit.

As in the official trainer (openai/InfoGAN, infogan_trainer.py), the discriminator's loss is its
GAN loss - lambda L_I on the fake batch, so the trunk Q shares learns the codes too, and the
generator's is its GAN loss - lambda L_I. Updates per iteration (declared in ``updates``): D
(n_critic times), then G, then the Q head (- lambda L_I on fresh samples). The official code moves
Q with D's optimizer in D's step; here Q has its own optimizer at D's settings, so each network
moves only under its own step.

Scores (``evaluate``): the bound on fresh samples, and the categorical code's matched accuracy on
the held data module the VariantEvaluation callback gives it (the test split where the data set
has one, as the paper's 5% error on MNIST is).
"""

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo import losses
from zoo.metrics.matching import matched_accuracy
from zoo.models.base import GANModule, OptimizerFactory, Update
from zoo.plots import image_grid


class InfoGAN(GANModule):
    """InfoGAN on any net pair whose discriminator exposes ``features`` (trunk) and ``head``.

    Args:
        q_head: factory taking the width of the discriminator's flattened trunk features and
            returning the Q network (zoo.nets.encoders.QHead), whose output is
            (logits, mean).
        q_optimizer: factory for the Q head's optimizer.
        d_loss, g_loss: the GAN's logit losses (the loss group).
        n_categories: K, the categorical code's size; n_continuous: C, the continuous codes.
            They take the last K + C entries of the generator's ``latent_dim`` inputs; the
            rest is noise z ~ N(0, I).
        info_weight: lambda, the weight of the mutual-information bound (the paper's 1).
        continuous_weight: the weight of the continuous codes' part within the bound while
            training (1: the bound itself, the official MNIST code's weight).
        n_traversal: columns of the traversal picture, the swept code's values over [-2, 2].
    """

    updates = (*GANModule.updates, Update("q_head", "q_optimizer", "q_step", "q_loss"))
    packable = False  # the Q head reads D's features sample by sample

    def __init__(
        self,
        *args,
        q_head: Callable[[int], nn.Module],
        q_optimizer: OptimizerFactory,
        d_loss: Callable[..., Tensor],
        g_loss: Callable[[Tensor], Tensor],
        n_categories: int = 10,
        n_continuous: int = 2,
        info_weight: float = 1.0,
        continuous_weight: float = 1.0,
        n_traversal: int = 9,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.n_categories, self.n_continuous = n_categories, n_continuous
        self.noise_dim = self.latent_dim - n_categories - n_continuous
        if n_categories < 1 or n_continuous < 0 or self.noise_dim < 0:
            raise ValueError(
                f"InfoGAN needs n_categories >= 1 and n_categories + n_continuous <= net.latent_dim, "
                f"got {n_categories} + {n_continuous} codes for latent_dim {self.latent_dim}"
            )
        self.d_loss, self.g_loss = d_loss, g_loss
        self.info_weight, self.continuous_weight, self.n_traversal = info_weight, continuous_weight, n_traversal
        self.q_head = q_head(self.feature_width())
        self.q_optimizer = q_optimizer
        # Fixed pictures need valid codes too (the base draws N(0, I) for all latent_dim inputs).
        self.fixed_noise = self.noise(len(self.fixed_noise), torch.Generator().manual_seed(0))

    def feature_width(self) -> int:
        """Width of the discriminator's flattened trunk output, measured on two samples in eval
        mode (batch-norm statistics untouched)."""
        with self.evaluating():
            return self.discriminator.features(self.generator(torch.zeros(2, self.latent_dim))).flatten(1).shape[1]

    # --- codes --------------------------------------------------------------------------------

    def draw_codes(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """(z (n, noise_dim) ~ N(0, I), categories (n,) uniform, continuous (n, C) ~ U(-1, 1))."""
        kw = {"device": self.device, "generator": generator}
        z = torch.randn(n, self.noise_dim, **kw)
        categories = torch.randint(self.n_categories, (n,), **kw)
        continuous = torch.rand(n, self.n_continuous, **kw) * 2 - 1
        return z, categories, continuous

    def latent(self, z: Tensor, categories: Tensor, continuous: Tensor) -> Tensor:
        """The generator's input [z, one_hot(categories), continuous]."""
        return torch.cat([z, F.one_hot(categories, self.n_categories).to(z.dtype), continuous], dim=1)

    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """A full generator input with random codes (what samples and pictures draw from)."""
        return self.latent(*self.draw_codes(n, generator))

    def categories_of(self, z: Tensor) -> Tensor:
        """The categorical code of each generator input [z, one_hot(c_cat), c_cont]."""
        return z[:, self.noise_dim : self.noise_dim + self.n_categories].argmax(1)

    def discriminate(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(D's logits (n,), the trunk features Q reads) in one pass through the trunk."""
        features = self.discriminator.features(x)
        return self.discriminator.head(features).flatten(), features

    def information(self, features: Tensor, categories: Tensor, continuous: Tensor, continuous_weight: float | None = None) -> Tensor:
        """L_I on generated examples whose trunk ``features`` are given (the training objective's
        weighting of the continuous part unless ``continuous_weight`` is given)."""
        logits, mean = self.q_head(features)
        weight = self.continuous_weight if continuous_weight is None else continuous_weight
        return losses.info_lower_bound(logits, categories, mean, continuous, weight)

    # --- training -----------------------------------------------------------------------------

    def d_step(self, real: Tensor) -> dict[str, Tensor]:
        z, categories, continuous = self.draw_codes(len(real))
        with torch.no_grad():
            fake = self.generator(self.latent(z, categories, continuous))
        real_logits, _ = self.discriminate(real)
        fake_logits, features = self.discriminate(fake)
        # The Q head's weights are frozen in this step (toggled off): the bound trains the trunk.
        info = self.information(features, categories, continuous)
        loss = self.d_loss(real_logits, fake_logits) - self.info_weight * info
        return {"d_loss": loss, "d_real": real_logits.mean(), "d_fake": fake_logits.mean()}

    def g_step(self, real: Tensor) -> dict[str, Tensor]:
        z, categories, continuous = self.draw_codes(len(real))
        fake = self.generator(self.latent(z, categories, continuous))
        logits, features = self.discriminate(fake)
        info = self.information(features, categories, continuous)
        return {"g_loss": self.g_loss(logits) - self.info_weight * info, "mi_bound": info}

    def q_step(self, real: Tensor) -> dict[str, Tensor]:
        z, categories, continuous = self.draw_codes(len(real))
        with torch.no_grad():
            fake = self.generator(self.latent(z, categories, continuous))
        info = self.information(self.discriminator.features(fake), categories, continuous)
        return {"q_loss": -self.info_weight * info}

    # --- evaluation ---------------------------------------------------------------------------

    def predict_categories(self, x: Tensor, batch_size: int = 1024) -> Tensor:
        """Q's most likely category for each example of x (eval mode)."""
        with self.evaluating():
            return torch.cat([self.q_head(self.discriminator.features(chunk))[0].argmax(1) for chunk in x.split(batch_size)])

    def evaluate(self, datamodule, n: int = 10_000, n_samples: int = 2048) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        """The MI lower bound on ``n_samples`` fresh samples (nats; the categorical part is at most
        log K), the categorical code's Hungarian-matched accuracy as a classifier of the first
        ``n`` labelled examples of ``datamodule`` (the held split the callback chose: all 10,000 of
        MNIST's test split) and its error in percent, and the traversal picture for images."""
        with self.evaluating():
            codes = self.draw_codes(n_samples, torch.Generator(device=self.device).manual_seed(0))
            fake = self.generator(self.latent(*codes))
            metrics = {"mi_bound": self.information(self.discriminator.features(fake), *codes[1:], continuous_weight=1.0).item()}
        if datamodule.labels is not None:
            predicted = self.predict_categories(datamodule.data[:n].to(self.device))
            metrics["matched_accuracy"] = matched_accuracy(predicted.cpu().numpy(), datamodule.labels[:n].numpy())
            metrics["matched_error_pct"] = 100 * (1 - metrics["matched_accuracy"])  # the paper's form: 5% on MNIST
        pictures = {"traversal": self.traversal()} if datamodule.kind == "images" else {}
        return metrics, pictures

    def traversal(self) -> np.ndarray:
        """The paper's Figure 2 layout: rows are the categories, columns sweep the first
        continuous code over [-2, 2] (beyond its training range of [-1, 1]), every other input
        fixed (same noise, other continuous codes 0). Without continuous codes the columns are
        different noise."""
        columns = self.n_traversal
        z = torch.randn(1 if self.n_continuous else columns, self.noise_dim, generator=torch.Generator().manual_seed(0))
        z = z.to(self.device).repeat(self.n_categories * columns // len(z), 1)
        categories = torch.arange(self.n_categories, device=self.device).repeat_interleave(columns)
        continuous = torch.zeros(len(z), self.n_continuous, device=self.device)
        if self.n_continuous:
            continuous[:, 0] = torch.linspace(-2, 2, columns, device=self.device).repeat(self.n_categories)
        return image_grid(self.sample(z=self.latent(z, categories, continuous)), nrow=columns)
