"""Stacked MNIST (Metz et al. 2017; VEEGAN, PacGAN): three MNIST digits as the R, G and B
channels of one image, so 10^3 = 1,000 modes, each a (red, green, blue) digit triple."""

import torch
from torch import Tensor

from zoo.data.images import TorchvisionImages, resize, to_unit_range


class StackedMNIST(TorchvisionImages):
    """``n_samples`` images, each stacking three MNIST digits drawn independently and uniformly
    (fixed by ``seed``) from the chosen split. Label: 100 * red + 10 * green + blue, the mode.

    ``root``, ``download`` and ``split`` are MNIST's, as for ``dataset=mnist``.
    """

    channel_dataset = "MNIST"

    def __init__(self, n_samples: int = 60_000, **kwargs):
        super().__init__(name="MNIST", **{k: v for k, v in kwargs.items() if k != "name"})
        self.n_samples = n_samples

    @property
    def shape(self) -> tuple[int, ...]:
        return (3, self.size, self.size)

    def load(self) -> tuple[Tensor, Tensor]:
        dataset = self._open()
        digits = resize(to_unit_range(torch.as_tensor(dataset.data), 255.0), self.size)
        generator = torch.Generator().manual_seed(self.seed)
        index = torch.randint(len(digits), (self.n_samples, 3), generator=generator)
        images = digits[index].squeeze(2)  # (n, 3, 1, H, W) -> (n, 3, H, W)
        targets = torch.as_tensor(dataset.targets)[index]
        return images, targets[:, 0] * 100 + targets[:, 1] * 10 + targets[:, 2]
