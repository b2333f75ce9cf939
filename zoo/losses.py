"""GAN objectives as pure functions of discriminator logits.

Every function takes raw discriminator outputs (logits, before any sigmoid) and returns a scalar
loss to *minimise*. Working on logits lets ``softplus`` and ``binary_cross_entropy_with_logits``
do the log-sum-exp arithmetic, so no ``log(sigmoid(x))`` ever underflows to ``-inf``.

Identities used below, with D(x) = sigmoid(l):
    -log D(x)      = softplus(-l)
    -log(1 - D(x)) = softplus(l)
"""

import torch
import torch.nn.functional as F
from torch import Tensor


def d_minimax(real_logits: Tensor, fake_logits: Tensor, real_label: float = 1.0) -> Tensor:
    """Discriminator loss of the original GAN (Goodfellow et al. 2014, eq. 1).

    -E[log D(x)] - E[log(1 - D(G(z)))], i.e. binary cross-entropy with real = 1, fake = 0.
    ``real_label`` < 1 is one-sided label smoothing (Salimans et al. 2016): only the real target
    is softened, so D is never pushed to be over-confident on real data, while fake targets stay 0.
    At D = 1/2 everywhere the loss is 2 log 2, the value at the minimax game's equilibrium.
    """
    real_target = torch.full_like(real_logits, real_label)
    return F.binary_cross_entropy_with_logits(real_logits, real_target) + F.binary_cross_entropy_with_logits(
        fake_logits, torch.zeros_like(fake_logits)
    )


# The non-saturating variant changes only the generator; its discriminator is the original one.
d_nonsaturating = d_minimax


def g_minimax(fake_logits: Tensor) -> Tensor:
    """Saturating generator loss, E[log(1 - D(G(z)))] (Goodfellow et al. 2014, eq. 1).

    Its gradient with respect to the logit is -D(G(z)): it vanishes exactly when D confidently
    rejects the samples, which is early in training. Kept to reproduce that failure.
    """
    return -F.softplus(fake_logits).mean()


def g_nonsaturating(fake_logits: Tensor) -> Tensor:
    """Non-saturating generator loss, -E[log D(G(z))] (Goodfellow et al. 2014, section 3).

    Same fixed point as the minimax loss, but its gradient with respect to the logit is
    -(1 - D(G(z))), strongest when D rejects the samples.
    """
    return F.softplus(-fake_logits).mean()
