"""BiGAN / ALI (Donahue et al. 2017, "Adversarial Feature Learning"; Dumoulin et al. 2017,
"Adversarially Learned Inference").

An encoder E: x -> z learns the inverse of the generator G: z -> x without ever comparing the
two: a joint discriminator D(x, z) separates the data-side pairs (x, E(x)) from the
model-side pairs (G(z), z), and E and G together try to make the two joint distributions equal.
At the optimum E = G^-1, so E(x) is a learnt representation of x and G(E(x)) reconstructs it.

Updates per iteration, as in ALI's Algorithm 1 (declared in ``updates``): D (n_critic times),
then the E and G step. The
E-and-G objective is a sum of a term in G(z) and a term in E(x), so it is taken as two optimizer
steps, one per network, against the same D: the same update as one joint step.

The encoder's objective is the loss group's ``e_loss``, the generator's loss with the real and
fake roles swapped: it asks D to call the data pairs fake. For the cross-entropy losses that is
g_loss(-l) (1 - sigmoid(l) = sigmoid(-l)); for critics, E[D(x, E(x))] pushed down; for least
squares, G's loss towards a + b - c (the fake target a under the 0-1 coding). f-GAN has none, and
is refused.

Scores (``evaluate``): on the held data module the VariantEvaluation callback gives it (the test
split where the data set has one), E(x)'s linear and 5-NN probe accuracies, each fitted on one half
of those examples and scored on the other, and G(E(x))'s reconstruction error.
"""

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.errors import ConfigError
from zoo.metrics.matching import knn_probe_accuracy, linear_probe_accuracy
from zoo.models.base import GANModule, OptimizerFactory, Update


class BiGAN(GANModule):
    """BiGAN with a joint ``discriminator`` (x, z) -> logit (zoo.nets.joint).

    Args:
        encoder: factory of the x -> (n, latent_dim) code network (the net group's ``encoder``).
        e_optimizer: factory for the encoder's optimizer.
        d_loss, g_loss: the GAN's logit losses (the loss group).
        e_loss: the encoder's loss on D(x, E(x)), the loss group's mirrored ``e_loss``; None (a
            loss without one, f-GAN) is refused.
    """

    updates = (*GANModule.updates, Update("encoder", "e_optimizer", "e_step", "e_loss"))

    def __init__(
        self,
        *args,
        encoder: Callable[..., nn.Module],
        e_optimizer: OptimizerFactory,
        d_loss: Callable[..., Tensor],
        g_loss: Callable[[Tensor], Tensor],
        e_loss: Callable[[Tensor], Tensor] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if e_loss is None:
            raise ConfigError(
                "BiGAN's encoder needs the loss's mirrored objective, which this loss lacks: "
                "choose loss=nonsaturating, minimax, least_squares, hinge or wasserstein"
            )
        self.encoder, self.e_optimizer = encoder(), e_optimizer
        self.d_loss, self.g_loss, self.e_loss = d_loss, g_loss, e_loss

    def d_step(self, real: Tensor) -> dict[str, Tensor]:
        z = self.noise(len(real))
        with torch.no_grad():
            fake, code = self.generator(z), self.encoder(real)
        data_logits, model_logits = self.discriminator(real, code), self.discriminator(fake, z)
        return {"d_loss": self.d_loss(data_logits, model_logits), "d_real": data_logits.mean(), "d_fake": model_logits.mean()}

    def g_step(self, real: Tensor) -> dict[str, Tensor]:
        z = self.noise(len(real))
        return {"g_loss": self.g_loss(self.discriminator(self.generator(z), z))}

    def e_step(self, real: Tensor) -> dict[str, Tensor]:
        return {"e_loss": self.e_loss(self.discriminator(real, self.encoder(real)))}

    def encode(self, x: Tensor, batch_size: int = 1024) -> Tensor:
        """E(x) in eval mode."""
        with self.evaluating():
            return torch.cat([self.encoder(chunk) for chunk in x.split(batch_size)])

    def evaluate(self, datamodule, n: int = 10_000) -> tuple[dict[str, float], dict]:
        """On the first ``n`` examples of ``datamodule`` (the held split the callback chose): the
        reconstruction error of G(E(x)) (mean squared error per coordinate) and, with labels, the
        held-out accuracy of a linear and of a 5-NN classifier on E(x) (Donahue et al. 2017,
        section 4), each fitted on one half and scored on the other."""
        real = datamodule.data[:n].to(self.device)
        code = self.encode(real)
        metrics = {"recon_error": F.mse_loss(self.sample(z=code), real).item()}
        if datamodule.labels is not None:
            features, labels = code.cpu().numpy(), datamodule.labels[:n].numpy()
            metrics["linear_probe_acc"] = linear_probe_accuracy(features, labels)
            metrics["knn_probe_acc"] = knn_probe_accuracy(features, labels)
        return metrics, {}
