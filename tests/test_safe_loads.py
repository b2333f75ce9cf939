"""No code runs from a loaded file: a crafted pickle that would write a marker file is refused in
one line wherever the zoo reads a user-supplied or cached file."""

import os
import pickle

import pytest
import torch

from tests.conftest import QUICK, compose_config, mnist_root, run_cli
from tests.test_eval import fake_dir  # noqa: F401  (fixture)
from zoo.errors import ConfigError
from zoo.metrics.classifier import load_classifier
from zoo.jobs.train import train


class Payload:
    """Unpickling this runs ``touch <marker>``: what an attacker's file would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def plant(path, marker, wrap=lambda payload: {"state_dict": payload}):
    torch.save(wrap(Payload(marker)), path)


def test_a_crafted_checkpoint_is_refused_by_sample_eval_and_resume(tmp_path):
    marker = tmp_path / "pwned"
    plant(tmp_path / "evil.ckpt", marker)
    for module, args in (("zoo.sample", ["out={tmp}/s.png"]), ("zoo.eval", ["out={tmp}/e.json"])):
        done = run_cli(module, f"ckpt_path={tmp_path / 'evil.ckpt'}", *[a.format(tmp=tmp_path) for a in args])
        assert done.returncode == 2 and "is not a readable checkpoint" in done.stderr, done.stderr
    with pytest.raises(ConfigError, match="is not a readable checkpoint"):
        train(compose_config([*QUICK, f"ckpt_path={tmp_path / 'evil.ckpt'}"], tmp_path / "run"))
    assert not marker.exists()


def test_a_crafted_classifier_file_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    plant(tmp_path / "evil.pt", marker, wrap=lambda payload: {"config": payload})
    with pytest.raises(pickle.UnpicklingError):
        load_classifier(tmp_path / "evil.pt")
    assert not marker.exists()


def test_a_planted_statistics_cache_or_weights_file_is_refused(fake_dir, small_classifier, tmp_path):  # noqa: F811
    cache = tmp_path / "cache"
    args = [f"fake_dir={fake_dir}", "dataset=mnist", f"dataset.root={mnist_root()}", "dataset.download=false", "scoring.backbone=classifier"]
    args += [f"scoring.classifier_path={small_classifier}", "scoring.n_real=300", f"scoring.cache_dir={cache}", "verbose=false"]
    first = run_cli("zoo.eval", *args, f"out={tmp_path}/first.json")
    assert first.returncode == 0, first.stderr[-2000:]
    cached = sorted((cache / "fidelity").glob("*.pt"))
    assert cached  # torch-fidelity's statistics of the reference
    marker = tmp_path / "pwned"
    for path in cached:  # what torch-fidelity would load with weights_only=False
        plant(path, marker, wrap=lambda payload: payload)
    second = run_cli("zoo.eval", *args, f"out={tmp_path}/second.json")
    assert second.returncode == 2 and len(second.stderr.strip().splitlines()) == 1, second.stderr[-2000:]
    assert "holds more than tensors and arrays" in second.stderr and not marker.exists()
    plant(tmp_path / "inception.pth", marker, wrap=lambda payload: payload)
    weights = run_cli("zoo.eval", *args[:4], "metrics=[is]", f"scoring.weights_path={tmp_path / 'inception.pth'}", "scoring.n_samples=10",
                      f"out={tmp_path}/third.json", "verbose=false")  # fmt: skip
    assert weights.returncode == 2 and "holds more than tensors and arrays" in weights.stderr, weights.stderr[-2000:]
    assert not marker.exists()


def test_no_wandb_key_reaches_configs_or_checkpoints(tmp_path, monkeypatch):
    secret = "0123456789abcdef0123456789abcdef01234567"
    monkeypatch.setenv("WANDB_API_KEY", secret)
    train(compose_config([*QUICK, "dataset.n_samples=2048"], tmp_path))
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
