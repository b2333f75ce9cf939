"""CIFAR-10, CelebA and image-folder data sets on small files in their real on-disk layouts: scaling,
splits, cropping, labels, one-line refusals of bad input, and a few training steps on each."""

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from omegaconf import OmegaConf
from PIL import Image
from torchvision.io import write_jpeg

from tests.conftest import QUICK, compose_config
from zoo.data.images import CelebA, ImageFolder, TorchvisionImages
from zoo.errors import ConfigError
from zoo.metrics.reference import Reference
from zoo.jobs.train import train

CIFAR_PER_BATCH = 4  # images in each fake data_batch_k; the fake test_batch holds 3
CELEBA_PARTITION = [0, 0, 0, 1, 1, 2, 2]  # 000001-000003 train, 000004-000005 valid, 000006-000007 test
SMALL_NETS = ["net=dcgan", "net.generator.width=8", "net.discriminator.width=8"]


def exists(fpath, md5=None) -> bool:
    return os.path.isfile(fpath)


@pytest.fixture
def skip_md5(monkeypatch):
    """torchvision checks every CIFAR / CelebA file against the real file's md5 sum, which small
    fake files cannot match: check only that the files are there (so missing data still fails).
    Patched in the modules rather than as CIFAR10._check_integrity, because CIFAR10._load_meta also
    checks batches.meta's md5 through the module's check_integrity."""
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", exists)
    monkeypatch.setattr(torchvision.datasets.celeba, "check_integrity", exists)


def refused(make, match: str) -> ConfigError:
    """The ConfigError ``make()`` raises, checked to be one line matching ``match``."""
    with pytest.raises(ConfigError, match=match) as error:
        make()
    assert "\n" not in str(error.value)
    return error.value


# --- CIFAR-10 -------------------------------------------------------------------------------------


def cifar_batch(n: int, offset: int) -> dict:
    """One batch as CIFAR's pickles hold it: "data" uint8 (n, 3072), each row the red plane, then
    the green, then the blue, each 32x32 row-major; "labels" a list of ints. (The real files are
    Python 2 pickles with str keys; torchvision loads them with encoding="latin1".)"""
    data = np.random.default_rng(offset).integers(0, 256, (n, 3072), dtype=np.uint8)
    data[0, 0], data[0, 1024], data[0, 2048] = 255, 0, 51  # pixel (0, 0): red, green, blue
    data[0, 1], data[0, 32] = 200, 10  # red at row 0 column 1, and at row 1 column 0
    return {"data": data, "labels": [(offset + i) % 10 for i in range(n)], "batch_label": "fake"}


@pytest.fixture
def cifar_root(tmp_path, skip_md5) -> Path:
    folder = tmp_path / "cifar" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = {f"data_batch_{k}": cifar_batch(CIFAR_PER_BATCH, (k - 1) * CIFAR_PER_BATCH) for k in range(1, 6)}
    batches["test_batch"] = cifar_batch(3, 100)
    batches["batches.meta"] = {"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]}
    for name, content in batches.items():
        (folder / name).write_bytes(pickle.dumps(content))
    return tmp_path / "cifar"


def test_cifar10_scales_keeps_channel_order_and_splits(cifar_root):
    module = TorchvisionImages(name="CIFAR10", root=str(cifar_root), download=False, size=32)
    module.setup()
    assert module.data.shape == (5 * CIFAR_PER_BATCH, 3, 32, 32) and module.data.dtype == torch.float32
    assert module.data.min() >= -1 and module.data.max() <= 1
    assert module.data[0, :, 0, 0].tolist() == pytest.approx([1.0, -1.0, 51 / 255 * 2 - 1])
    assert module.data[0, 0, 0, 1].item() == pytest.approx(200 / 255 * 2 - 1)  # width is the last axis
    assert module.data[0, 0, 1, 0].item() == pytest.approx(10 / 255 * 2 - 1)
    assert module.labels.tolist() == [i % 10 for i in range(5 * CIFAR_PER_BATCH)]

    test = TorchvisionImages(name="CIFAR10", root=str(cifar_root), download=False, split="test", size=16)
    test.setup()
    assert test.data.shape == (3, 3, 16, 16) and test.labels.tolist() == [0, 1, 2]


def test_missing_cifar10_without_download_names_the_folder(tmp_path):
    module = TorchvisionImages(name="CIFAR10", root=str(tmp_path), download=False)
    refused(module.prepare_data, "no CIFAR10 data under dataset.root=.* and dataset.download=false: .*cifar-10-batches-py")


# --- CelebA ---------------------------------------------------------------------------------------


def celeba_face(k: int) -> torch.Tensor:
    """A 178x218 aligned-face-sized JPEG picture: black 20-pixel bands at top and bottom around a
    178x178 square of grey level 255 - 30 (k - 1), so the crop and the file order both show."""
    image = torch.zeros(3, 218, 178, dtype=torch.uint8)
    image[:, 20:198] = 255 - 30 * (k - 1)
    return image


def write_list(path: Path, names: list[str], values, header: str | None = None) -> None:
    """A CelebA list file as torchvision's CelebA parses it: space-separated rows led by the file
    name; the annotation lists (``header``) start with a count line and a column-name line."""
    lines = [str(len(names)), header] if header is not None else []
    path.write_text("".join(f"{line}\n" for line in [*lines, *(f"{name} {value}" for name, value in zip(names, values))]))


@pytest.fixture
def celeba_root(tmp_path, skip_md5) -> Path:
    folder = tmp_path / "faces" / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True)
    names = [f"{k:06d}.jpg" for k in range(1, len(CELEBA_PARTITION) + 1)]
    for k, name in enumerate(names, 1):
        write_jpeg(celeba_face(k), str(folder / "img_align_celeba" / name), quality=95)
    write_list(folder / "list_eval_partition.txt", names, CELEBA_PARTITION)
    write_list(folder / "identity_CelebA.txt", names, range(10, 10 + len(names)))
    write_list(folder / "list_attr_celeba.txt", names, ["-1 1"] * len(names), header="5_o_Clock_Shadow Smiling")
    write_list(folder / "list_bbox_celeba.txt", names, ["95 71 226 313"] * len(names), header="image_id x_1 y_1 width height")
    landmarks = "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y"
    write_list(folder / "list_landmarks_align_celeba.txt", names, ["69 109 106 113 77 142 73 152 108 154"] * len(names), header=landmarks)
    return tmp_path / "faces"


def centre_level(k: int) -> float:
    return (255 - 30 * (k - 1)) / 255 * 2 - 1


def test_celeba_crops_the_centre_and_selects_the_split(celeba_root):
    train_faces = CelebA(root=str(celeba_root), download=False)
    train_faces.setup()
    assert train_faces.data.shape == (3, 3, 64, 64) and train_faces.labels is None
    # The crop removes the black bands: every output pixel is the centre's level (JPEG aside).
    assert train_faces.data[0].min() > 0.9
    means = train_faces.data.mean(dim=(1, 2, 3))
    assert means.tolist() == pytest.approx([centre_level(k) for k in (1, 2, 3)], abs=0.02)

    test_faces = CelebA(root=str(celeba_root), download=False, split="test", size=32)
    test_faces.setup()
    assert test_faces.data.shape == (2, 3, 32, 32)
    assert test_faces.data.mean(dim=(1, 2, 3)).tolist() == pytest.approx([centre_level(6), centre_level(7)], abs=0.02)

    first = CelebA(root=str(celeba_root), download=False, split="all", limit=4)
    first.setup()
    assert first.data.shape == (4, 3, 64, 64)
    assert first.data[3].mean().item() == pytest.approx(centre_level(4), abs=0.02)


def test_missing_celeba_without_download_says_where_the_files_go(tmp_path):
    module = CelebA(root=str(tmp_path), download=False)
    refused(module.prepare_data, "no CelebA data under dataset.root=.* and dataset.download=false: .*img_align_celeba.*celeba")


def test_failed_celeba_download_is_one_line_pointing_at_the_official_page(tmp_path, monkeypatch):
    def google_drive_refuses(self):  # what torchvision's download meets: gdown missing, or a quota page
        raise RuntimeError("Too many users have viewed or downloaded this file recently.\nPlease try again later.")

    monkeypatch.setattr(torchvision.datasets.CelebA, "download", google_drive_refuses)
    module = CelebA(root=str(tmp_path), download=True)
    message = str(refused(module.prepare_data, "could not download CelebA into dataset.root=.*Too many users"))
    assert "mmlab.ie.cuhk.edu.hk" in message and str(tmp_path / "celeba") in message and "dataset.download=false" in message


def test_unknown_celeba_split_names_the_valid_ones():
    refused(lambda: CelebA(split="validation"), "dataset.split=validation .* train, valid, test, all")


# --- image folders --------------------------------------------------------------------------------


def save(path: Path, array: np.ndarray) -> Path:
    """Write uint8 (H, W) or (H, W, 3) pixels as an image file; the format is the suffix's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return path


def plain(value, height: int = 16, width: int = 16, channels: int = 3) -> np.ndarray:
    return np.full((height, width, channels) if channels == 3 else (height, width), value, dtype=np.uint8)


def test_nested_folders_give_folder_labels_and_limit_keeps_the_first(tmp_path):
    for path in ("cats/a.png", "cats/b.png", "dogs/c.png", "dogs/sub/d.png"):  # d: still a dog
        save(tmp_path / path, plain(128))
    (tmp_path / "notes.txt").write_text("not an image")  # ignored
    module = ImageFolder(root=str(tmp_path), size=8)
    module.setup()
    assert module.data.shape == (4, 3, 8, 8) and module.labels.tolist() == [0, 0, 1, 1]
    first = ImageFolder(root=str(tmp_path), size=8, limit=3)
    first.setup()
    assert first.data.shape == (3, 3, 8, 8) and first.labels.tolist() == [0, 0, 1]


def test_flat_or_mixed_folders_have_no_labels(tmp_path):
    save(tmp_path / "a.png", plain(0))
    save(tmp_path / "b.jpg", plain(255))
    save(tmp_path / "c.bmp", plain(255))
    save(tmp_path / "d.webp", plain(255))
    module = ImageFolder(root=str(tmp_path), size=16)
    module.setup()
    assert module.data.shape == (4, 3, 16, 16) and module.labels is None
    assert module.data[0].max() == -1 and module.data[1:].min() > 0.95  # sorted by path: a.png first
    save(tmp_path / "sub" / "e.png", plain(0))  # one image in a subfolder, the rest not
    mixed = ImageFolder(root=str(tmp_path), size=16)
    mixed.setup()
    assert len(mixed.data) == 5 and mixed.labels is None


def test_channels_decode_greyscale_or_rgb(tmp_path):
    red = np.zeros((16, 16, 3), dtype=np.uint8)
    red[..., 0] = 255
    for suffix in (".png", ".jpg", ".bmp", ".webp"):
        save(tmp_path / f"red{suffix}", red)
    save(tmp_path / "zgrey.png", plain(255, channels=1))  # sorted last
    rgb = ImageFolder(root=str(tmp_path), size=16, channels=3)
    rgb.setup()
    assert rgb.data.shape == (5, 3, 16, 16)
    assert torch.allclose(rgb.data[:4, :, 8, 8], torch.tensor([1.0, -1.0, -1.0]).expand(4, 3), atol=0.05)
    assert rgb.data[4].min() == 1  # a greyscale file becomes three equal channels
    grey = ImageFolder(root=str(tmp_path), size=16, channels=1)
    grey.setup()
    assert grey.data.shape == (5, 1, 16, 16)
    luma = 0.299 * 255 / 255 * 2 - 1  # ITU-R 601 weight of red
    assert grey.data[:4, 0, 8, 8].tolist() == pytest.approx([luma] * 4, abs=0.05)


def test_non_square_images_keep_the_central_square(tmp_path):
    wide = plain(255, height=20, width=40)
    wide[:, :8] = wide[:, 32:] = 0  # black side bands outside the central 20x20 square
    tall = plain(255, height=40, width=20)
    tall[:8] = tall[32:] = 0
    save(tmp_path / "wide.png", wide)
    save(tmp_path / "tall.png", tall)
    module = ImageFolder(root=str(tmp_path), size=10)
    module.setup()
    assert module.data.shape == (2, 3, 10, 10)
    assert module.data.min() > 0.95  # a squashing resize would bring the black bands in


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda tmp: ImageFolder(root=str(tmp / "nowhere")).prepare_data(), "dataset.root=.*nowhere is not a folder"),
        (lambda tmp: ImageFolder(root=str(tmp)).prepare_data(), "dataset.root=.* holds no images"),
        (lambda tmp: ImageFolder(root=None), "dataset.root is not set"),
        (lambda tmp: ImageFolder(root=str(tmp), channels=2), "dataset.channels must be 1 .* or 3 .*, got 2"),
        (lambda tmp: ImageFolder(root=str(tmp), size=0), "dataset.size must be a positive integer, got 0"),
        (lambda tmp: ImageFolder(root=str(tmp), size=-32), "dataset.size must be a positive integer, got -32"),
        (lambda tmp: ImageFolder(root=str(tmp), limit=0), "dataset.limit must be a positive integer or null"),
        (lambda tmp: CelebA(root=str(tmp), crop=0), "dataset.crop must be a positive integer"),
    ],
    ids=["not-a-folder", "no-images", "no-root", "channels", "size-0", "size-negative", "limit", "crop"],
)
def test_bad_image_folder_settings_are_one_line_refusals(tmp_path, make, match):
    (tmp_path / "readme.txt").write_text("no images here")
    refused(lambda: make(tmp_path), match)


def test_a_corrupt_image_is_named(tmp_path):
    save(tmp_path / "good.png", plain(0))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    refused(ImageFolder(root=str(tmp_path)).setup, r"cannot read image .*broken\.png")


# --- with the rest of the zoo ---------------------------------------------------------------------


@pytest.fixture
def image_dir(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    for i in range(8):
        save(tmp_path / "images" / f"class{i % 2}" / f"{i}.png", rng.integers(0, 256, (24, 20, 3), dtype=np.uint8))
    return tmp_path / "images"


def test_each_new_dataset_trains_a_few_steps(tmp_path, image_dir, cifar_root, celeba_root):
    options = {
        "image_folder": [f"dataset.root={image_dir}", "dataset.size=32", "dataset.channels=3", "dataset.batch_size=4"],
        "cifar10": [f"dataset.root={cifar_root}", "dataset.download=false", "dataset.batch_size=4"],
        "celeba": [f"dataset.root={celeba_root}", "dataset.download=false", "dataset.split=all", "dataset.size=32", "dataset.batch_size=2"],
    }
    for option, overrides in options.items():
        cfg = compose_config([*QUICK, "iterations=2", "eval_every=2", f"dataset={option}", *overrides, *SMALL_NETS], tmp_path / option)
        assert train(cfg)["status"] == "ok", option


def test_real_images_reads_each_new_dataset(image_dir, cifar_root, celeba_root, tmp_path):
    configs = {
        "cifar10": {"_target_": "zoo.data.images.TorchvisionImages", "name": "CIFAR10", "root": str(cifar_root),
                    "download": False, "split": "train", "size": 32},
        "celeba": {"_target_": "zoo.data.images.CelebA", "root": str(celeba_root), "download": False, "split": "train", "size": 64},
        "image_folder": {"_target_": "zoo.data.images.ImageFolder", "root": str(image_dir), "size": 16, "channels": 3},
    }
    expected = {"cifar10": (3, (3, 32, 32), "cifar10-32-test-"), "celeba": (2, (3, 64, 64), "celeba-64-test-"),
                "image_folder": (5, (3, 16, 16), "imagefolder-16-all-")}
    for name, config in configs.items():
        reference = Reference(OmegaConf.create(config), "test", 5, seed=0, cache=tmp_path)
        count, shape, prefix = expected[name]
        assert reference.shape == shape and reference.key.startswith(prefix), (name, reference.key)
        assert reference.images().shape == (count, *shape), name
