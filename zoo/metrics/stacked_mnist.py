"""Stacked-MNIST mode coverage (VEEGAN Table 2, PacGAN Table 2): each channel of a generated image
is labelled by a pretrained MNIST classifier, the three digits name one of 1,000 modes; a mode is
covered when at least one sample falls in it, and the KL divergence of the samples' mode histogram
from the uniform one says how evenly they are spread.

(zoo.metrics.modes scores the 2-D mixtures, whose modes are known points.)
"""

import torch
from torch import Tensor

from zoo.errors import ConfigError
from zoo.metrics.classifier import DigitClassifier, predict_labels

N_MODES = 1000


def stacked_modes(images: Tensor, classifier: DigitClassifier) -> Tensor:
    """Mode of each (N, 3, H, W) image: 100 * digit(red) + 10 * digit(green) + digit(blue)."""
    if images.dim() != 4 or images.shape[1] != 3:
        raise ConfigError(f"the modes metric is Stacked MNIST's and needs images (N, 3, H, W), got {list(images.shape)}")
    digits = [predict_labels(classifier, images[:, c : c + 1]) for c in range(3)]
    return digits[0] * 100 + digits[1] * 10 + digits[2]


def mode_counts(images: Tensor, classifier: DigitClassifier) -> Tensor:
    """How many of ``images`` fall in each of the 1,000 modes: a histogram that sums across
    batches and DDP ranks."""
    return torch.bincount(stacked_modes(images, classifier), minlength=N_MODES).double()


def stacked_mnist_metrics(images: Tensor, classifier: DigitClassifier) -> dict[str, float]:
    """{"modes": modes covered, "modes_total": 1,000, "kl": KL(sample mode histogram || uniform)}."""
    return stacked_mnist_metrics_of_counts(mode_counts(images, classifier))


def stacked_mnist_metrics_of_counts(counts: Tensor) -> dict[str, float]:
    """Modes covered (of ``modes_total``) and KL(histogram || uniform) of a mode histogram
    (``mode_counts``, summed over batches and ranks)."""
    counts = counts.double().cpu()  # one device: a CUDA sum cannot divide a CPU tensor
    q = counts / counts.sum()
    covered = q > 0
    kl = (q[covered] * (q[covered] * N_MODES).log()).sum()
    return {"modes": int(covered.sum()), "modes_total": N_MODES, "kl": float(kl)}
