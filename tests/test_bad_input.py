"""Bad input stops before training with one clear line, a non-zero exit and no results.json."""

import pytest

from tests.conftest import QUICK, compose_config, run_cli
from zoo.errors import ConfigError
from zoo.train import train


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["net=dcgan"], "for images but the dataset holds 2-D points: choose net=mlp"),
        (["dataset=digits"], "for 2-D points but the dataset holds images: choose net=dcgan, or set net.images=true"),
        (["net.images=true"], "net.images=true but the dataset holds 2-D points"),
        (["dataset.batch_size=0"], "dataset.batch_size must be a positive integer, got 0"),
        (["model.g_optimizer.lr=0"], r"model.g_optimizer.lr must be positive, got 0"),
        (["model.d_optimizer.lr=-1e-4"], r"model.d_optimizer.lr must be positive"),
        (["iterations=0"], "iterations must be a positive number"),
        (["ckpt_path=/nowhere/last.ckpt"], "ckpt_path=/nowhere/last.ckpt does not exist"),
        (["dataset=digits", "net=dcgan", "dataset.size=12"], "8, 16, 28, 32, 64"),
    ],
)
def test_refused_before_training(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        train(compose_config([*QUICK, *overrides], tmp_path))
    assert not (tmp_path / "results.json").exists()


def test_mlp_runs_on_images_when_meant_for_it(tmp_path):
    results = train(compose_config([*QUICK, "dataset=digits", "net.images=true"], tmp_path))
    assert results["status"] == "ok"


def test_missing_mnist_with_download_off(tmp_path):
    cfg = compose_config([*QUICK, "experiment=mnist_gan", f"dataset.root={tmp_path / 'empty'}", "dataset.download=false"], tmp_path)
    with pytest.raises(ConfigError, match="no MNIST data under dataset.root=.* and dataset.download=false"):
        train(cfg)


def assert_one_line_refusal(done, *fragments):
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zoo: error:"), done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["model=foo"], ["unknown model 'foo'", "gan"]),
        (["dataset=foo"], ["unknown dataset 'foo'", "celeba, cifar10, digits, fashion_mnist, grid25, image_folder, mnist, ring8, stacked_mnist"]),
        (["-m", "loss=nonsaturating,foo"], ["unknown loss 'foo'", "minimax, nonsaturating"]),
        (["experiment=mnist_gan", "dataset.root=/nonexistent", "dataset.download=false"], ["dataset.root=/nonexistent", "dataset.download"]),
        (["net=dcgan"], ["choose net=mlp"]),
        (["ckpt_path=missing.ckpt"], ["ckpt_path=missing.ckpt does not exist"]),
    ],
)
def test_command_line_refusals_are_one_line(tmp_path, args, fragments):
    done = run_cli("zoo.train", *args, f"hydra.run.dir={tmp_path}/run")
    assert_one_line_refusal(done, *fragments)
    assert not (tmp_path / "run" / "results.json").exists()


def test_sample_refusals_are_one_line(tmp_path):
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(b"not a checkpoint")
    assert_one_line_refusal(run_cli("zoo.sample", f"ckpt_path={tmp_path}/none.ckpt"), "does not exist")
    assert_one_line_refusal(run_cli("zoo.sample", f"ckpt_path={corrupt}"), "not a readable checkpoint")
    assert_one_line_refusal(run_cli("zoo.sample", f"ckpt_path={corrupt}", "out=x.jpg"), ".npy or .png")
