"""``python -m zoo.eval``: scoring a folder of images or a checkpoint, and its one-line refusals."""

import json

import pytest
import torch
from torchvision.io import write_png

from tests.conftest import QUICK, compose_config, mnist_root, run_cli
from zoo.jobs.train import train


@pytest.fixture(scope="module")
def fake_dir(tmp_path_factory, mnist_test):
    """300 real MNIST test digits as PNG files, standing in for a generator's output."""
    folder = tmp_path_factory.mktemp("fakes")
    for i, image in enumerate(mnist_test[0][:300]):
        write_png(((image + 1) * 127.5).round().to(torch.uint8), str(folder / f"{i:04d}.png"))
    return folder


def test_fake_dir_against_a_dataset_prints_json_and_writes_results(fake_dir, small_classifier, tmp_path):
    out = tmp_path / "results.json"
    args = [f"fake_dir={fake_dir}", "dataset=mnist", f"dataset.root={mnist_root()}", "dataset.download=false", "scoring.backbone=classifier"]
    args += [f"scoring.classifier_path={small_classifier}", "scoring.n_real=300", "scoring.split=test", "metrics=[fid,is,prc]", f"out={out}", "verbose=false"]
    done = run_cli("zoo.eval", *args)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = json.loads(done.stdout.strip().splitlines()[-1])
    assert printed == json.loads(out.read_text())
    # The fakes are the first 300 test digits and the reference a random 300 of the test split
    # (classifier-FID of two real sets of 300: about 20, mostly the small-sample bias).
    assert printed["n_fake"] == 300 and printed["n_real"] == 300 and printed["backbone"] == "classifier"
    assert 0 < printed["fid"] < 40 and printed["is"] > 5 and 0 < printed["precision"] <= 1


def test_checkpoint_is_scored_against_its_own_dataset(small_classifier, tmp_path):
    overrides = ["experiment=mnist_gan", *QUICK, f"dataset.root={mnist_root()}", "dataset.download=false"]
    overrides += ["net.generator.width=8", "net.discriminator.width=8", "iterations=2"]
    train(compose_config(overrides, tmp_path))
    out = tmp_path / "eval" / "results.json"
    args = [f"ckpt_path={tmp_path}/checkpoints/last.ckpt", f"dataset.root={mnist_root()}", "dataset.download=false"]
    args += ["scoring.backbone=classifier", f"scoring.classifier_path={small_classifier}", "scoring.n_samples=200", "scoring.n_real=200", f"out={out}"]
    done = run_cli("zoo.eval", *args)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(out.read_text())
    assert results["n_fake"] == 200 and results["fid"] > 0


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "give either ckpt_path"),
        (["fake_dir={empty}", "dataset=mnist"], "holds no images"),
        (["fake_dir={corrupt}", "dataset=mnist"], "cannot read image .*broken.png"),
        (["fake_dir={fakes}"], "needs dataset=<name>"),
        (["fake_dir={fakes}", "dataset=mnist", "metrics=[kid]", "scoring.n_real=300"], "kid_subset_size=1000 .* only"),
        (["fake_dir={fakes}", "dataset=stacked_mnist", "scoring.n_real=50"], "1 channels but the real ones 3"),
        (["fake_dir={fakes}", "dataset=mnist", "dataset.size=32", "scoring.n_real=50"], "28x28 but the real ones 32x32"),
        (["fake_dir={fakes}", "dataset=mnist", "metrics=[is]", "scoring.weights_path={tmp}/missing.pth"], "scoring.weights_path=.*does not exist"),
        (["fake_dir={fakes}", "dataset=nope"], "unknown dataset 'nope'"),
    ],
)
def test_bad_input_gets_one_line(args, message, fake_dir, small_classifier, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "broken.png").write_bytes(b"not a png")
    args = [a.format(empty=tmp_path / "empty", corrupt=tmp_path / "corrupt", fakes=fake_dir, tmp=tmp_path) for a in args]
    common = [f"dataset.root={mnist_root()}", "dataset.download=false", f"scoring.classifier_path={small_classifier}", f"out={tmp_path}/r.json"]
    common += ["verbose=false"]
    done = run_cli("zoo.eval", *args, *common, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zoo: error:"), done.stderr[-2000:]
    import re

    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "r.json").exists()


def test_infogan_code_accuracy_is_read_off_its_samples(small_classifier, tmp_path):
    overrides = ["experiment=mnist_infogan", *QUICK, f"dataset.root={mnist_root()}", "dataset.download=false"]
    train(compose_config([*overrides, "net.generator.width=8", "net.discriminator.width=8"], tmp_path))
    out = tmp_path / "eval.json"
    args = [f"ckpt_path={tmp_path}/checkpoints/last.ckpt", f"dataset.root={mnist_root()}", "dataset.download=false"]
    args += [f"scoring.classifier_path={small_classifier}", "scoring.n_samples=200", "metrics=[code_accuracy]", f"out={out}", "verbose=false"]
    done = run_cli("zoo.eval", *args)
    assert done.returncode == 0, done.stderr[-2000:]
    # Hungarian-matched: at least chance (1/10) even for an untrained generator, at most 1.
    assert 0.1 <= json.loads(out.read_text())["code_accuracy"] <= 1.0


def test_code_accuracy_needs_an_infogan_checkpoint(small_classifier, tmp_path):
    train(compose_config(["experiment=digits_gan", *QUICK], tmp_path))
    args = [f"ckpt_path={tmp_path}/checkpoints/last.ckpt", f"scoring.classifier_path={small_classifier}", "metrics=[code_accuracy]", "scoring.n_samples=50"]
    done = run_cli("zoo.eval", *args, f"out={tmp_path}/r.json", "verbose=false")
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0, done.stderr[-2000:]
    assert "code_accuracy scores an InfoGAN checkpoint" in done.stderr and not (tmp_path / "r.json").exists()


def test_help_and_unknown_settings(tmp_path):
    done = run_cli("zoo.eval", "--help")
    assert done.returncode == 0 and "n_samples: 10000" in done.stdout and "fake_dir" in done.stdout
    for module, key in (("zoo.eval", "n_sample"), ("zoo.classifier", "epoch")):
        done = run_cli(module, f"{key}=3")
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert f"unknown setting '{key}'; valid here:" in done.stderr and "dataset" in done.stderr
