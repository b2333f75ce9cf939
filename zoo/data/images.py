"""Image data sets, held in memory as one float tensor in [-1, 1] (the generators end in tanh)."""

import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor

from zoo.data.base import InMemoryDataModule
from zoo.errors import ConfigError


def to_unit_range(images: Tensor, max_value: float) -> Tensor:
    """Integer pixels in [0, max_value] -> float in [-1, 1], with a channel axis: (N, C, H, W)."""
    images = images.float() / max_value * 2 - 1
    return images.unsqueeze(1) if images.dim() == 3 else images


def resize(images: Tensor, size: int) -> Tensor:
    """Resize (N, C, H, W) images to size x size, antialiased when shrinking."""
    if images.shape[-1] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", antialias=True, align_corners=False).clamp(-1, 1)


class Digits(InMemoryDataModule):
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images, 17 grey levels, 10 classes).

    Real images that need no download, which makes them the zoo's offline image smoke test.
    ``size`` upsamples them (16 or 32) for nets that want larger inputs.
    """

    def __init__(self, size: int = 8, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    def load(self) -> tuple[Tensor, Tensor]:
        from sklearn.datasets import load_digits

        digits = load_digits()
        images = to_unit_range(torch.from_numpy(digits.images), 16.0)
        return resize(images, self.size), torch.from_numpy(digits.target)


class TorchvisionImages(InMemoryDataModule):
    """A torchvision data set whose ``.data`` is a uint8 tensor (MNIST, FashionMNIST), loaded whole.

    ``root`` is torchvision's root folder (it holds ``MNIST/raw/...``); ``download`` lets
    torchvision fetch the files when they are missing.
    """

    def __init__(self, name: str = "MNIST", root: str = "data", download: bool = True, train: bool = True, size: int = 28, **kwargs):
        super().__init__(**kwargs)
        self.name, self.root, self.download, self.train, self.size = name, root, download, train, size

    def prepare_data(self) -> None:
        self._open()

    def _open(self):
        dataset_class = getattr(torchvision.datasets, self.name)
        try:
            return dataset_class(root=self.root, train=self.train, download=self.download)
        except RuntimeError as error:  # torchvision's "Dataset not found or corrupted"
            if self.download:
                raise ConfigError(f"{self.name} in dataset.root={self.root} is unreadable ({error})") from error
            raise ConfigError(
                f"no {self.name} data under dataset.root={self.root} and dataset.download=false: "
                f"point dataset.root at a folder holding {self.name}/raw, or set dataset.download=true"
            ) from error
        except OSError as error:  # no network, DNS failure, HTTP error
            raise ConfigError(
                f"could not download {self.name} into dataset.root={self.root} ({error}); "
                "fetch it on a machine with internet or point dataset.root at a copy"
            ) from error

    def load(self) -> tuple[Tensor, Tensor]:
        dataset = self._open()
        images = to_unit_range(torch.as_tensor(dataset.data), 255.0)
        return resize(images, self.size), torch.as_tensor(dataset.targets)
