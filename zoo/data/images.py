"""Image data sets, held in memory as one float tensor in [-1, 1] (the generators end in tanh).

Each class declares what it is (zoo.data.base.InMemoryDataModule): ``kind = "images"``, its
``splits``, and a ``shape`` known from its settings before any file is read.
"""

from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor
from torchvision.transforms.v2 import functional as TF

from zoo.data.base import InMemoryDataModule
from zoo.data.files import list_images, one_line, read_images
from zoo.errors import ConfigError

CELEBA_PAGE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"


def to_unit_range(images: Tensor, max_value: float) -> Tensor:
    """Integer pixels in [0, max_value] -> float in [-1, 1], with a channel axis: (N, C, H, W)."""
    images = images.float() / max_value * 2 - 1
    return images.unsqueeze(1) if images.dim() == 3 else images


def resize(images: Tensor, size: int) -> Tensor:
    """Resize (N, C, H, W) images to size x size, antialiased when shrinking."""
    if images.shape[-1] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", antialias=True, align_corners=False).clamp(-1, 1)




def check_split(datamodule: InMemoryDataModule, split: str) -> None:
    """Refuse a split the data module does not declare, naming the ones it does."""
    if split not in datamodule.splits:
        raise ConfigError(f"dataset.split={split} is not a split of {type(datamodule).__name__}; choose one of: {', '.join(datamodule.splits)}")


def check_positive(name: str, value, allow_none: bool = False) -> None:
    """Refuse a size or count that is not a positive integer, naming the config key."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"dataset.{name} must be a positive integer{' or null' if allow_none else ''}, got {value}")


class Digits(InMemoryDataModule):
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images, 17 grey levels, 10 classes).

    Real images that need no download, which makes them the zoo's offline image smoke test.
    ``size`` upsamples them (16 or 32) for nets that want larger inputs.
    """

    def __init__(self, size: int = 8, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    @property
    def shape(self) -> tuple[int, ...]:
        return (1, self.size, self.size)

    def load(self) -> tuple[Tensor, Tensor]:
        from sklearn.datasets import load_digits  # deferred: scikit-learn takes about a second to import

        digits = load_digits()
        images = to_unit_range(torch.from_numpy(digits.images), 16.0)
        return resize(images, self.size), torch.from_numpy(digits.target)


class TorchvisionImages(InMemoryDataModule):
    """A torchvision data set that keeps all its images in ``.data``, loaded whole: a uint8 tensor
    (N, H, W) for MNIST and FashionMNIST, a uint8 numpy array (N, H, W, C) for CIFAR-10/100
    (Krizhevsky 2009: 50,000 training and 10,000 test 32x32 colour images, 10 classes).

    ``root`` is torchvision's root folder (it holds ``MNIST/raw/...`` or ``cifar-10-batches-py/``);
    ``download`` lets torchvision fetch the files when they are missing.
    """

    splits = ("train", "test")
    # Colour channels of the torchvision data sets the zoo knows; any other class is read as RGB.
    CHANNELS = {"MNIST": 1, "FashionMNIST": 1, "KMNIST": 1, "EMNIST": 1, "QMNIST": 1}

    def __init__(self, name: str = "MNIST", root: str = "data", download: bool = True, split: str = "train", size: int = 28, **kwargs):
        super().__init__(**kwargs)
        if name not in vars(torchvision.datasets):
            raise ConfigError(f"dataset.name={name} is not a torchvision data set (e.g. MNIST, FashionMNIST, CIFAR10)")
        check_split(self, split)
        self.name, self.root, self.download, self.split, self.size = name, root, download, split, size

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.CHANNELS.get(self.name, 3), self.size, self.size)

    def prepare_data(self) -> None:
        self._open()

    def _open(self):
        dataset_class = getattr(torchvision.datasets, self.name)
        folder = getattr(dataset_class, "base_folder", f"{self.name}/raw")  # CIFAR's own, else MNIST's layout
        try:
            return dataset_class(root=self.root, train=self.split == "train", download=self.download)
        except RuntimeError as error:  # torchvision's "Dataset not found or corrupted"
            if self.download:
                raise ConfigError(f"{self.name} in dataset.root={self.root} is unreadable ({one_line(error)})") from error
            raise ConfigError(
                f"no {self.name} data under dataset.root={self.root} and dataset.download=false: "
                f"point dataset.root at a folder holding {folder}, or set dataset.download=true"
            ) from error
        except OSError as error:  # no network, DNS failure, HTTP error
            raise ConfigError(
                f"could not download {self.name} into dataset.root={self.root} ({one_line(error)}); "
                "fetch it on a machine with internet or point dataset.root at a copy"
            ) from error

    def load(self) -> tuple[Tensor, Tensor]:
        dataset = self._open()
        images = torch.as_tensor(dataset.data)
        if images.dim() == 4 and images.shape[-1] in (1, 3):  # channels last (CIFAR): to (N, C, H, W)
            images = images.permute(0, 3, 1, 2)
        return resize(to_unit_range(images, 255.0), self.size), torch.as_tensor(dataset.targets)


class CelebA(InMemoryDataModule):
    """CelebA's aligned faces (Liu et al. 2015: 202,599 images of 10,177 people, 178x218), through
    torchvision, as the DCGAN paper (Radford et al. 2016) and the PyTorch DCGAN tutorial use them:
    the central ``crop`` x ``crop`` square (178: the whole width), resized to ``size`` (64). The
    tutorial's Resize(64) + CenterCrop(64) gives the same square.

    ``split`` is torchvision's (train 162,770 / valid 19,867 / test 19,962 / all); ``limit`` keeps
    the first images of it. No labels: the zoo's GANs are unconditional. ``root`` holds
    ``celeba/img_align_celeba/`` and the annotation txt files; ``download`` tries torchvision's
    Google Drive download, which often fails (quota), so a failure says where to get the files.
    """

    splits = ("train", "valid", "test", "all")

    def __init__(self, root: str = "data", download: bool = True, split: str = "train", crop: int = 178, size: int = 64,
                 limit: int | None = None, **kwargs):
        super().__init__(**kwargs)
        check_split(self, split)
        check_positive("crop", crop)
        check_positive("size", size)
        check_positive("limit", limit, allow_none=True)
        self.root, self.download, self.split, self.crop, self.size, self.limit = root, download, split, crop, size, limit

    @property
    def shape(self) -> tuple[int, ...]:
        return (3, self.size, self.size)

    def prepare_data(self) -> None:
        self._open()

    def _open(self) -> torchvision.datasets.CelebA:
        where = f"place img_align_celeba/ and the list_*.txt and identity_CelebA.txt files under {Path(self.root) / 'celeba'}"
        try:
            return torchvision.datasets.CelebA(self.root, split=self.split, target_type=[], download=self.download)
        except Exception as error:  # gdown missing, Drive quota page instead of the file, no network, bad md5
            if self.download:
                raise ConfigError(
                    f"could not download CelebA into dataset.root={self.root} ({one_line(error)}): torchvision fetches it "
                    f"from Google Drive, which often refuses; download it from the official page {CELEBA_PAGE}, "
                    f"{where}, and set dataset.download=false"
                ) from error
            raise ConfigError(
                f"no CelebA data under dataset.root={self.root} and dataset.download=false: {where} "
                f"(from the official page {CELEBA_PAGE}), or set dataset.download=true"
            ) from error

    def _fit(self, image: Tensor) -> Tensor:
        return TF.resize(TF.center_crop(image, [self.crop, self.crop]), [self.size, self.size], antialias=True)

    def load(self) -> tuple[Tensor, None]:
        dataset = self._open()
        folder = Path(dataset.root) / dataset.base_folder / "img_align_celeba"
        files = [folder / name for name in dataset.filename[: self.limit]]
        return to_unit_range(read_images(files, 3, self._fit, f"decoding CelebA {self.split}"), 255.0), None


class ImageFolder(InMemoryDataModule):
    """Any folder of images (png, jpg, jpeg, bmp, webp; searched recursively, sorted by path), for
    training on one's own data. Each image's short side is resized to ``size`` and the central
    ``size`` x ``size`` square kept, the usual GAN preprocessing (DCGAN, StyleGAN's dataset_tool);
    ``channels`` 1 decodes greyscale, 3 RGB.

    Labels follow torchvision's ImageFolder: when every image sits in a first-level subfolder, its
    label is that folder's index among the sorted subfolders holding images; otherwise None.
    ``limit`` keeps the first images (labels keep their indices). ``root`` is the folder itself:
    nothing is downloaded.
    """

    def __init__(self, root: str | None = None, size: int = 64, channels: int = 3, limit: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if root is None:
            raise ConfigError("dataset.root is not set: point it at a folder of images (dataset.root=<folder>)")
        if channels not in (1, 3):
            raise ConfigError(f"dataset.channels must be 1 (greyscale) or 3 (RGB), got {channels}")
        check_positive("size", size)
        check_positive("limit", limit, allow_none=True)
        self.root, self.size, self.channels, self.limit = root, size, channels, limit

    identity_includes_root = True  # another folder is other data, whatever its settings

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.channels, self.size, self.size)

    def prepare_data(self) -> None:
        self._files()

    def _files(self) -> list[Path]:
        return list_images(self.root, "dataset.root")

    def _fit(self, image: Tensor) -> Tensor:
        return TF.center_crop(TF.resize(image, [self.size], antialias=True), [self.size, self.size])

    def load(self) -> tuple[Tensor, Tensor | None]:
        files = self._files()
        parts = [path.relative_to(self.root).parts for path in files]
        labels = None
        if all(len(part) > 1 for part in parts):
            classes = {name: i for i, name in enumerate(sorted({part[0] for part in parts}))}
            labels = torch.tensor([classes[part[0]] for part in parts])[: self.limit]
        files = files[: self.limit]
        images = read_images(files, self.channels, self._fit, f"decoding {self.root}")
        return to_unit_range(images, 255.0), labels
