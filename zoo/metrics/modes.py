"""Mode-coverage scores for samples of a mixture with known modes (VEEGAN and PacGAN protocol).

Hand-written: torchmetrics and torch-fidelity score images against a feature extractor and have no
notion of known mixture modes. The definitions follow PacGAN (Lin et al. 2018), section 5.1:
- a sample is high quality (HQ) when it lies within 3 sigma of its nearest mode;
- a mode is captured when it is the nearest mode of at least one HQ sample;
- reverse KL is KL(p || uniform) for the histogram p of the HQ samples over their nearest modes.
"""

import math

import torch
from torch import Tensor


def mode_metrics(samples: Tensor, modes: Tensor, sigma: float, threshold: float = 3.0) -> dict[str, float]:
    """Score (n, 2) ``samples`` against (k, 2) ``modes`` of std ``sigma``.

    Returns ``modes`` (number captured, of k), ``hq_pct`` (percent of samples that are HQ) and
    ``reverse_kl`` (0 when HQ samples spread evenly over all modes, log k when all sit on one).
    With no HQ sample at all the histogram is undefined; reverse KL then reports log k, the value
    of total collapse, so a failed run never looks better than a collapsed one.
    """
    samples, modes = samples.detach().double().cpu(), modes.double().cpu()
    distances = torch.cdist(samples, modes)
    nearest_distance, nearest = distances.min(dim=1)
    hq = nearest_distance <= threshold * sigma
    counts = torch.bincount(nearest[hq], minlength=len(modes)).double()
    n_hq = int(hq.sum())
    if n_hq == 0:
        reverse_kl = math.log(len(modes))
    else:
        p = counts / n_hq
        p = p[p > 0]
        reverse_kl = float((p * (p * len(modes)).log()).sum())
    return {
        "modes": int((counts > 0).sum()),
        "hq_pct": 100.0 * n_hq / len(samples),
        "reverse_kl": reverse_kl,
    }
