"""Scores of images (zoo.metrics.fidelity, zoo.metrics.classifier, zoo.metrics.stacked_mnist).

The Inception tests use a few dozen images (0.2-0.3 s each on a 2-core CPU); the rest use a small
domain classifier trained once per session on 10,000 MNIST images (a few seconds).
"""

import math

import numpy as np
import pytest
import scipy.linalg
import torch
from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric

from tests.conftest import SMALL_CLASSIFIER, mnist_cfg, mnist_root
from zoo.metrics.classifier import ClassifierSettings, get_classifier, load_classifier, predict_labels
from zoo.data.images import TorchvisionImages
from zoo.errors import ConfigError
from zoo.metrics.fidelity import score
from zoo.metrics.reference import Reference
from zoo.metrics.stacked_mnist import stacked_mnist_metrics
from zoo.metrics.streaming import Extractor


def scipy_fid(features_1: np.ndarray, features_2: np.ndarray) -> float:
    """Independent oracle: ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)) with scipy's sqrtm."""
    mu1, mu2 = features_1.mean(0), features_2.mean(0)
    s1, s2 = np.cov(features_1, rowvar=False), np.cov(features_2, rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * root))


def library_fid(features_1: torch.Tensor, features_2: torch.Tensor) -> float:
    stats = [fid_features_to_statistics(f) for f in (features_1, features_2)]
    return fid_statistics_to_metric(*stats, verbose=False)["frechet_inception_distance"]


# --- the offline Inception backbone -------------------------------------------------------------


def test_offline_inception_fid_of_a_set_with_itself_is_zero(mnist_test, tmp_path):
    images = mnist_test[0][:12]
    assert abs(score(images, images, ["fid"], cache=tmp_path)["fid"]) < 1e-2
    features = Extractor("inception", ["fid"])(images[:4])["features"]
    assert features.shape == (4, 2048) and torch.isfinite(features).all() and features.min() >= 0  # pool3: after ReLU


@pytest.mark.filterwarnings("ignore:Matrix is singular")
def test_fid_agrees_with_the_scipy_oracle(mnist_test, small_classifier):
    extractor = Extractor("classifier", ["fid"], classifier_path=small_classifier)
    images, labels = mnist_test
    features_1 = extractor(images[labels < 5][:600])["features"].double()
    features_2 = extractor(images[labels >= 3][:600])["features"].double()
    expected = scipy_fid(features_1.numpy(), features_2.numpy())
    assert expected > 1
    assert library_fid(features_1, features_2) == pytest.approx(expected, rel=1e-4)


def test_fid_grows_monotonically_with_noise(mnist_test, small_classifier, tmp_path):
    real, fake = mnist_test[0][:500], mnist_test[0][500:1000]
    generator = torch.Generator().manual_seed(0)
    noise = torch.randn(fake.shape, generator=generator)
    fids = [score((fake + sigma * noise).clamp(-1, 1), real, ["fid"], "classifier", classifier_path=small_classifier)["fid"] for sigma in (0.0, 0.2, 0.5, 1.0)]
    assert fids == sorted(fids) and fids[-1] > 5 * fids[0], fids


@pytest.mark.slow
def test_inception_fid_grows_monotonically_with_noise(mnist_test, tmp_path):
    real, fake = mnist_test[0][:24], mnist_test[0][24:48]
    noise = torch.randn(fake.shape, generator=torch.Generator().manual_seed(0))
    fids = [score((fake + sigma * noise).clamp(-1, 1), real, ["fid"], real_key="mnist-test-noise", cache=tmp_path)["fid"] for sigma in (0.0, 0.3, 1.0)]
    assert fids == sorted(fids), fids


def test_reference_statistics_are_cached_and_not_recomputed(mnist_test, small_classifier, tmp_path):
    fake, real = mnist_test[0][:200], mnist_test[0][200:400]
    first = score(fake, real, ["fid"], "classifier", classifier_path=small_classifier, real_key="mnist-test", cache=tmp_path)
    assert list(tmp_path.glob("mnist-test-n200-*stat*"))
    # Same key and count: the cache answers, so even other images give the cached statistics.
    again = score(fake, torch.zeros_like(real), ["fid"], "classifier", classifier_path=small_classifier, real_key="mnist-test", cache=tmp_path)
    assert again == first


def test_a_cached_reference_is_scored_without_reading_its_images(mnist_test, small_classifier, tmp_path, monkeypatch):
    fake = mnist_test[0][:200]
    reference = Reference(mnist_cfg(mnist_root()), "test", 200, seed=7, cache=tmp_path)
    first = score(fake, reference, ["fid", "kid"], "classifier", classifier_path=small_classifier, kid_subset_size=100, cache=tmp_path / "fidelity")
    again = Reference(mnist_cfg(mnist_root()), "test", 200, seed=7, cache=tmp_path)
    monkeypatch.setattr(again, "images", lambda: pytest.fail("a cached reference read its images"))
    assert score(fake, again, ["fid", "kid"], "classifier", classifier_path=small_classifier, kid_subset_size=100, cache=tmp_path / "fidelity") == first
    assert again.count() == 200


# --- the domain classifier ------------------------------------------------------------------------


def test_classifier_is_cached_and_predicts_digits(small_classifier, mnist_test):
    assert get_classifier(mnist_cfg(mnist_root()), ClassifierSettings(**SMALL_CLASSIFIER)) == small_classifier  # no training: cached
    images, labels = mnist_test
    accuracy = (predict_labels(load_classifier(small_classifier), images[:2000]) == labels[:2000]).float().mean()
    assert accuracy > 0.9


def test_classifier_inception_score_of_mnist_is_near_10_and_of_one_image_1(mnist_test, small_classifier):
    images = mnist_test[0]
    # This quick classifier is less confident than the default one (9.76 on the same set, slow test).
    assert score(images, None, ["is"], "classifier", classifier_path=small_classifier)["is"] > 8.5
    repeated = images[:1].repeat(1000, 1, 1, 1)
    assert score(repeated, None, ["is"], "classifier", classifier_path=small_classifier)["is"] == pytest.approx(1.0, abs=1e-3)


def test_stacked_mnist_mode_count(mnist_test, small_classifier):
    classifier = load_classifier(small_classifier)
    images, labels = mnist_test
    # One correctly classified exemplar per digit, so the test checks the counting, not the classifier.
    correct = predict_labels(classifier, images[:1000]) == labels[:1000]
    exemplars = torch.stack([images[:1000][correct & (labels[:1000] == d)][0] for d in range(10)])  # (10, 1, 28, 28)
    triples = torch.cartesian_prod(torch.arange(10), torch.arange(10), torch.arange(10))
    every_mode = exemplars[triples].squeeze(2)  # (1000, 3, 28, 28)
    assert stacked_mnist_metrics(every_mode, classifier) == {"modes": 1000, "modes_total": 1000, "kl": pytest.approx(0.0, abs=1e-9)}
    constant = every_mode[:1].repeat(500, 1, 1, 1)
    assert stacked_mnist_metrics(constant, classifier) == {"modes": 1, "modes_total": 1000, "kl": pytest.approx(np.log(1000))}


@pytest.mark.slow
@pytest.mark.parametrize("name, accuracy", [("MNIST", 0.99), ("FashionMNIST", 0.90)])
def test_default_classifier_reaches_its_accuracy(name, accuracy, zoo_cache):
    cfg = mnist_cfg(mnist_root())
    cfg.name = name
    path = get_classifier(cfg, train=True, log=print)
    assert torch.load(path, weights_only=True)["test_accuracy"] > accuracy
    if name == "MNIST":
        test = TorchvisionImages(root=str(mnist_root()), download=False, split="test")
        test.setup()
        assert score(test.data, None, ["is"], "classifier", classifier_path=path)["is"] > 9.5


# --- bad input: one line each -------------------------------------------------------------------


def test_inception_score_without_weights_offline_fails_in_one_line(mnist_test, monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))
    with pytest.raises(ConfigError, match="Inception Score needs .* weights_path") as error:
        score(mnist_test[0][:4], None, ["is"], download=False)
    assert "\n" not in str(error.value)
    with pytest.raises(ConfigError, match="weights_path=.*does not exist"):
        score(mnist_test[0][:4], mnist_test[0][:4], ["fid"], weights_path=str(tmp_path / "none.pth"))


def test_kid_with_fewer_samples_than_its_subset_size_fails(mnist_test, small_classifier):
    images = mnist_test[0][:50]
    with pytest.raises(ConfigError, match="kid_subset_size=1000 .* only 50"):
        score(images, images, ["kid"], "classifier", classifier_path=small_classifier)


def test_channel_and_resolution_mismatches_fail(mnist_test):
    images = mnist_test[0][:8]
    with pytest.raises(ConfigError, match="1 channels but the real ones 3"):
        score(images, images.repeat(1, 3, 1, 1), ["fid"])
    with pytest.raises(ConfigError, match="28x28 but the real ones 32x32"):
        score(images, torch.zeros(8, 1, 32, 32), ["fid"])
    with pytest.raises(ConfigError, match="unknown metric"):
        score(images, images, ["fidd"])


CUDA = pytest.param("cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device: ZOO_TEST_CUDA=1 on a machine with one")])


@pytest.mark.parametrize("device", ["cpu", CUDA])
def test_stacked_mnist_scores_a_histogram(device):
    """Modes covered and KL of a mode histogram. The in-training callback sums the histogram on
    the training device; on a GPU, dividing the CPU copy by the CUDA sum failed (fixed in 7d3f2c2,
    found by the H200 run of docs/results/stacked-mnist-full.md)."""
    from zoo.metrics.stacked_mnist import N_MODES, stacked_mnist_metrics_of_counts

    counts = torch.zeros(N_MODES, dtype=torch.float64, device=device)
    counts[:500] = 2.0  # half the modes, evenly: KL = log 2
    scores = stacked_mnist_metrics_of_counts(counts)
    assert scores["modes"] == 500 and scores["modes_total"] == N_MODES
    assert scores["kl"] == pytest.approx(math.log(2))
