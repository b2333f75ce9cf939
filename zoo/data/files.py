"""Reading image files: one decoder for every data set and for zoo.eval's folders of fakes."""

import sys
from pathlib import Path

import torch
from PIL import Image
from torch import Tensor
from torchvision.io import ImageReadMode, decode_image
from torchvision.transforms.v2 import functional as TF
from tqdm import tqdm

from zoo.errors import ConfigError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


def one_line(error: BaseException) -> str:
    """An exception's message on one line, for a ConfigError that quotes it."""
    return " ".join(str(error).split()) or type(error).__name__


def read_image(path: Path, channels: int) -> Tensor:
    """One image file as uint8 (channels, H, W), or a ConfigError naming the file.

    torchvision.io decodes PNG, JPEG and WebP; BMP, which it does not read, goes through PIL.
    WebP ignores greyscale decoding (torchvision warns and returns RGB), so it is decoded as RGB and
    converted here.
    """
    try:
        if path.suffix.lower() == ".bmp":
            with Image.open(path) as picture:
                image = TF.pil_to_tensor(picture.convert("L" if channels == 1 else "RGB"))
        else:
            gray = channels == 1 and path.suffix.lower() != ".webp"
            image = decode_image(str(path), mode=ImageReadMode.GRAY if gray else ImageReadMode.RGB)
    except (RuntimeError, OSError, ValueError) as error:  # corrupt, truncated, not an image at all
        raise ConfigError(f"cannot read image {path} ({one_line(error)}): remove or replace the file") from error
    return TF.rgb_to_grayscale(image) if channels == 1 and image.shape[0] == 3 else image


def list_images(root: str | Path, setting: str) -> list[Path]:
    """The image files under ``root`` (recursively, sorted by path), or a ConfigError naming
    ``setting`` (the config key that gave ``root``) when it is not a folder or holds none."""
    folder = Path(root)
    if not folder.is_dir():
        raise ConfigError(f"{setting}={root} is not a folder: point it at a folder of images")
    files = sorted(path for path in folder.rglob("*") if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file())
    if not files:
        raise ConfigError(f"{setting}={root} holds no images ({', '.join(IMAGE_SUFFIXES)}, searched recursively)")
    return files


def native_channels(path: Path) -> int:
    """1 for a greyscale image file, 3 otherwise (read from the header only)."""
    try:
        with Image.open(path) as picture:
            return 1 if picture.mode in ("1", "L", "LA", "I", "I;16", "F") else 3
    except OSError as error:  # not an image, truncated header
        raise ConfigError(f"cannot read image {path} ({one_line(error)}): remove or replace the file") from error


def read_images(files: list[Path], channels: int, fit, description: str) -> Tensor:
    """uint8 (N, channels, H, W) from ``files``, each decoded and passed through ``fit`` (uint8
    (C, h, w) -> (C, H, W), the same H, W for all), with a progress bar on stderr: decoding a
    couple of hundred thousand JPEGs takes minutes."""
    images = None
    for i, path in enumerate(tqdm(files, desc=description, unit="img", file=sys.stderr, leave=False)):
        image = fit(read_image(path, channels))
        if images is None:  # one uint8 block: 4x smaller than float while it fills
            images = torch.empty((len(files), *image.shape), dtype=torch.uint8)
        images[i] = image
    return images




def read_image_dir(path: str | Path, limit: int | None = None, progress: bool = True) -> Tensor:
    """The images under ``path`` (recursively, sorted by path; the first ``limit``) as uint8
    (N, C, H, W), C being the first file's (1 for greyscale, else 3). They must share one size."""
    files = list_images(path, "fake_dir")[:limit]
    channels = native_channels(files[0])
    images = [read_image(file, channels) for file in tqdm(files, desc="reading fakes", file=sys.stderr, leave=False, disable=not progress)]
    shapes = {tuple(image.shape) for image in images}
    if len(shapes) > 1:
        raise ConfigError(f"fake_dir={path} mixes image shapes {sorted(shapes)[:3]}: resize them to one")
    return torch.stack(images)
