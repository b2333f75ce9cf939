"""In-training scores (zoo.metrics.streaming, zoo.callbacks.FidelityEvaluation / EMAGenerator):
torchmetrics' FID equals torch-fidelity's and the scipy oracle, DDP-merged statistics equal the
single-process ones, the callback logs, keeps best.ckpt and agrees with ``python -m zoo.eval``."""

import csv
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from omegaconf import OmegaConf
from torch import nn

from tests.conftest import QUICK, compose_config, mnist_cfg, mnist_root, run_cli
from tests.test_fidelity import library_fid, scipy_fid
from zoo.callbacks import EMAGenerator
from zoo.checkpoint import EMA_STATE_KEY, load_generator
from zoo.errors import ConfigError
from zoo.metrics.fidelity import score
from zoo.metrics.reference import Reference
from zoo.metrics.streaming import Extractor, StreamingScores
from zoo.jobs.train import train


def scores_of(real: torch.Tensor, fake: torch.Tensor, logits: torch.Tensor, metrics=("fid", "kid", "is")) -> dict:
    scores = StreamingScores(metrics, {"features": real.shape[1], "logits": logits.shape[1]}, kid_subset_size=50, kid_subsets=20, is_splits=4)
    scores.add_real(real)
    scores.add_fake({"features": fake, "logits": logits})
    return scores.compute(seed=0)


def random_features(n: int = 400, dim: int = 16, classes: int = 10):
    generator = torch.Generator().manual_seed(0)
    real = torch.randn(n, dim, generator=generator)
    fake = 0.8 * torch.randn(n, dim, generator=generator) + 0.3
    logits = 3 * torch.randn(n, classes, generator=generator)
    return real, fake, logits


@pytest.mark.filterwarnings("ignore:Matrix is singular")
def test_streaming_fid_equals_torch_fidelity_and_the_scipy_oracle(mnist_test, small_classifier):
    images, labels = mnist_test
    real, fake = images[labels < 5][:500], images[labels >= 3][:500]
    extractor = Extractor("classifier", ["fid"], classifier_path=small_classifier)
    scores = StreamingScores(["fid"], extractor.dims())
    scores.add_real(extractor(real)["features"])
    for chunk in fake.split(128):  # batch by batch, as in training
        scores.add_fake(extractor(chunk))
    streamed = scores.compute()["fid"]
    features = [extractor(x)["features"].double() for x in (real, fake)]
    assert streamed == pytest.approx(scipy_fid(features[0].numpy(), features[1].numpy()), rel=1e-4)
    assert streamed == pytest.approx(library_fid(*features), rel=1e-6)
    standalone = score(fake, real, ["fid"], "classifier", classifier_path=small_classifier)["fid"]
    assert streamed == pytest.approx(standalone, rel=1e-4)


def test_streaming_scores_of_identical_sets_and_refusals():
    real, fake, logits = random_features()
    same, different = scores_of(real, real, logits), scores_of(real, fake, logits)
    assert abs(same["fid"]) < 1e-6 and different["fid"] > 1
    assert abs(same["kid"]) < different["kid"] / 5  # unbiased KID: about 0, either sign, on equal sets (subsets of 50)
    assert different["is"] > 1
    with pytest.raises(ConfigError, match="cannot be computed during training.*zoo.eval"):
        StreamingScores(["prc"], {"features": 4})
    tiny = StreamingScores(["kid"], {"features": 16}, kid_subset_size=1000)
    tiny.add_real(real)
    tiny.add_fake({"features": fake})
    with pytest.raises(ConfigError, match="kid cannot be computed.*kid_subset_size=1000"):
        tiny.compute()


def _rank_scores(rank: int, world: int, store: str, out: str) -> None:
    """One DDP rank: its stride of the features in, the merged scores out (rank 0 writes them)."""
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    try:
        real, fake, logits = random_features()
        scores = scores_of(real[rank::world], fake[rank::world], logits[rank::world])
        if rank == 0:
            Path(out).write_text(json.dumps(scores))
    finally:
        dist.destroy_process_group()


def test_ddp_merged_statistics_equal_the_single_process_ones(tmp_path):
    out = tmp_path / "merged.json"
    mp.spawn(_rank_scores, args=(2, str(tmp_path / "store"), str(out)), nprocs=2, join=True)
    merged = json.loads(out.read_text())
    real, fake, logits = random_features()
    # The merged features arrive rank by rank; KID's subsets and IS's splits are random draws over
    # that order, so the single process sees the same order to draw the same subsets.
    order = torch.cat([torch.arange(400)[0::2], torch.arange(400)[1::2]])
    single = scores_of(real[order], fake[order], logits[order])
    assert merged.keys() == single.keys() == {"fid", "kid", "kid_std", "is", "is_std"}
    for name in single:
        assert merged[name] == pytest.approx(single[name], rel=1e-9, abs=1e-12), name
    assert merged["fid"] == pytest.approx(scores_of(real, fake, logits)["fid"], rel=1e-9)  # FID: order-free


def test_ema_generator_averages_after_each_generator_step():
    generator = nn.Linear(2, 2)
    module = SimpleNamespace(generator=generator, iteration=0)
    ema = EMAGenerator(decay=0.5)
    ema.on_fit_start(None, module)
    start = generator.weight.detach().clone()
    expected = start.clone()
    for step in range(1, 4):
        with torch.no_grad():
            generator.weight.add_(1.0)
        ema.on_train_batch_end(None, module, None, None, 0)  # no generator step yet: no update
        module.iteration = step
        ema.on_train_batch_end(None, module, None, None, 0)
        expected = 0.5 * expected + 0.5 * generator.weight.detach()
    assert torch.allclose(ema.generator.weight, expected)
    assert not torch.allclose(ema.generator.weight, generator.weight)
    with pytest.raises(ConfigError, match=r"ema_decay must lie in \(0, 1\), got 1.5"):
        EMAGenerator(decay=1.5)


def fidelity_overrides(classifier) -> list[str]:
    overrides = ["experiment=mnist_gan", *QUICK, f"dataset.root={mnist_root()}", "dataset.download=false"]
    overrides += ["net.generator.width=8", "net.discriminator.width=8", "callbacks.fidelity.metrics=[fid,kid]"]
    overrides += ["scoring.backbone=classifier", f"scoring.classifier_path={classifier}"]
    return overrides + ["scoring.n_samples=300", "scoring.n_real=300", "scoring.kid_subset_size=100"]


def test_training_logs_fid_keeps_best_ckpt_and_matches_zoo_eval(small_classifier, tmp_path):
    results = train(compose_config([*fidelity_overrides(small_classifier), "ema=true", "callbacks.fidelity.progress=false"], tmp_path))
    assert results["status"] == "ok"
    assert {"val/fid", "val/kid", "val/kid_std", "val/fid_best", "val/best_iteration"} <= results.keys()
    assert results["val/fid_best"] <= results["val/fid"] and results["val/best_iteration"] in (3, 6)
    with open(tmp_path / "csv" / "metrics.csv") as file:
        logged = [row for row in csv.DictReader(file) if row.get("val/fid")]
    assert len(logged) == 2  # iterations 3 and 6, under the same name as in results.json
    assert (tmp_path / "samples" / "scores.png").is_file()
    best = tmp_path / "checkpoints" / "best.ckpt"
    model, _ = load_generator(best, ema=True)  # a complete checkpoint with the EMA generator
    assert not list((tmp_path / "checkpoints").glob("*.tmp"))
    # The standalone command scores the final EMA generator on the same noise and real images.
    out = tmp_path / "eval.json"
    args = [f"ckpt_path={tmp_path}/checkpoints/last.ckpt", f"dataset.root={mnist_root()}", "dataset.download=false", "scoring.backbone=classifier"]
    args += [f"scoring.classifier_path={small_classifier}", "scoring.n_samples=300", "scoring.n_real=300", "metrics=[fid]", f"out={out}", "verbose=false"]
    done = run_cli("zoo.eval", *args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(out.read_text())["fid"] == pytest.approx(results["val/fid"], rel=1e-4)


def test_checkpoint_without_ema_refuses_ema_true(small_classifier, tmp_path):
    train(compose_config(["experiment=digits_gan", *QUICK], tmp_path))
    with pytest.raises(ConfigError, match="holds no EMA generator"):
        load_generator(tmp_path / "checkpoints" / "last.ckpt", ema=True)
    assert load_generator(tmp_path / "checkpoints" / "last.ckpt")[0] is not None  # ema=None: the raw one


@pytest.mark.parametrize(
    "override, message",
    [
        ("callbacks.fidelity.metrics=[prc]", "prc cannot be computed during training"),
        ("callbacks.fidelity.monitor=is", "monitor=is is not among its metrics"),
        ("scoring.kid_subset_size=1000", "kid_subset_size=1000 .* n_samples=300"),
        ("scoring.backbone=resnet", "backbone=resnet is unknown; choose inception or classifier"),
        ("scoring.split=valid", "split=valid is not a split of MNIST; choose one of: train, test"),
        ("ema_decay=1.0", "ema_decay must be a number > 0 and < 1"),
    ],
)
def test_bad_fidelity_settings_are_refused_before_training(override, message, small_classifier, tmp_path):
    with pytest.raises(ConfigError, match=message) as error:
        train(compose_config([*fidelity_overrides(small_classifier), override], tmp_path))
    assert "\n" not in str(error.value)
    assert not (tmp_path / "results.json").exists()


def test_ddp_training_logs_the_fid_a_single_process_computes(small_classifier, tmp_path):
    """Two CPU ranks (gloo) train and score; the logged FID equals zoo.eval's on last.ckpt."""
    args = [*fidelity_overrides(small_classifier), "trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2", "callbacks.fidelity.progress=false", f"paths.output_dir={tmp_path}"]
    done = run_cli("zoo.train", *args, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    logged = json.loads((tmp_path / "results.json").read_text())["val/fid"]
    out = tmp_path / "eval.json"
    args = [f"ckpt_path={tmp_path}/checkpoints/last.ckpt", f"dataset.root={mnist_root()}", "dataset.download=false", "scoring.backbone=classifier"]
    args += [f"scoring.classifier_path={small_classifier}", "scoring.n_samples=300", "scoring.n_real=300", "metrics=[fid]", f"out={out}", "verbose=false"]
    done = run_cli("zoo.eval", *args)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(out.read_text())["fid"] == pytest.approx(logged, rel=1e-4)


def test_scores_reach_every_logger_under_the_same_names(small_classifier, tmp_path, monkeypatch):
    """CSV, TensorBoard and W&B (offline, its log_metrics recorded) all get val/fid at the same steps."""
    from lightning.pytorch.loggers import WandbLogger
    from omegaconf import OmegaConf
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    sent_to_wandb = []
    monkeypatch.setattr(WandbLogger, "log_metrics", lambda self, metrics, step=None: sent_to_wandb.append((step, dict(metrics))))
    cfg = compose_config([*fidelity_overrides(small_classifier), "logger=tensorboard", "callbacks.fidelity.progress=false"], tmp_path)
    OmegaConf.set_struct(cfg, False)
    for name in ("csv", "wandb"):
        cfg.logger[name] = OmegaConf.load(f"conf/logger/{name}.yaml")[name]
    cfg.logger.wandb.offline = True
    assert train(cfg)["status"] == "ok"
    with open(tmp_path / "csv" / "metrics.csv") as file:
        csv_steps = [int(row["step"]) for row in csv.DictReader(file) if row.get("val/fid")]
    events = EventAccumulator(str(next((tmp_path / "tensorboard").rglob("events.out.tfevents.*")).parent))
    events.Reload()
    tensorboard_steps = [event.step for event in events.Scalars("val/fid")]
    wandb_steps = [step for step, metrics in sent_to_wandb if "val/fid" in metrics]
    assert len(csv_steps) == 2 and csv_steps == tensorboard_steps == wandb_steps


def test_stacked_mnist_modes_are_counted_during_training(small_classifier, tmp_path):
    overrides = ["experiment=stacked_mnist_gan", *QUICK, f"dataset.root={mnist_root()}", "dataset.download=false", "dataset.n_samples=2000"]
    overrides += ["net.generator.width=8", "net.discriminator.width=8", "callbacks.fidelity.metrics=[modes]", "callbacks.fidelity.monitor=modes"]
    overrides += [f"scoring.classifier_path={small_classifier}", "scoring.n_samples=500", "callbacks.fidelity.progress=false"]
    results = train(compose_config(overrides, tmp_path))
    assert 1 <= results["val/modes"] <= 500 and results["val/modes_total"] == 1000 and 0 <= results["val/kl"] <= np.log(1000) + 1e-9
    assert results["val/modes_best"] >= results["val/modes"] and (tmp_path / "checkpoints" / "best.ckpt").is_file()
    with pytest.raises(ConfigError, match="modes counts Stacked MNIST"):
        train(compose_config([*fidelity_overrides(small_classifier), "callbacks.fidelity.metrics=[modes]", "callbacks.fidelity.monitor=null"], tmp_path / "mnist"))


def test_ema_generator_is_checkpointed_and_resumed(tmp_path):
    def averaged(run) -> int:
        checkpoint = torch.load(run / "checkpoints" / "last.ckpt", weights_only=False)
        return checkpoint["callbacks"][EMA_STATE_KEY]["n_averaged"]

    first, resumed = tmp_path / "first", tmp_path / "resumed"
    train(compose_config(["experiment=digits_gan", *QUICK, "ema=true"], first))
    assert averaged(first) == 7  # the initial weights, then one update per generator iteration
    train(compose_config(["experiment=digits_gan", *QUICK, "ema=true", "iterations=10", f"ckpt_path={first}/checkpoints/last.ckpt"], resumed))
    assert averaged(resumed) == 11  # continued, not restarted


def test_inception_score_without_weights_is_refused_before_the_first_step(small_classifier, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))  # no downloaded weights there
    overrides = [*fidelity_overrides(small_classifier), "scoring.backbone=inception", "callbacks.fidelity.metrics=[is]"]
    overrides += ["callbacks.fidelity.monitor=is", "scoring.download=false"]
    with pytest.raises(ConfigError, match="Inception Score needs .* weights") as error:
        train(compose_config(overrides, tmp_path / "run"))
    assert "\n" not in str(error.value) and not (tmp_path / "run" / "results.json").exists()
    assert not (tmp_path / "run" / "checkpoints" / "last.ckpt").exists()  # refused before training


def test_in_training_reference_features_are_cached_and_read_without_the_images(small_classifier, tmp_path, monkeypatch):
    extractor = Extractor("classifier", ["fid"], classifier_path=small_classifier)
    config = mnist_cfg(mnist_root())
    first = Reference(config, "test", 100, seed=5, cache=tmp_path)
    assert first.key.startswith("mnist-28-test-1x28x28-") and first.key.endswith("-n100-seed5")
    features = first.features(extractor.features, extractor.identity, 50)
    assert features.shape == (100, 128) and len(list(tmp_path.glob(f"fidelity/{first.key}-zoo-classifier-*-features.pt"))) == 1
    # Same data set, split, count and seed: the cache answers, and no image is read.
    again = Reference(config, "test", 100, seed=5, cache=tmp_path)
    monkeypatch.setattr(again, "images", lambda: pytest.fail("a cached reference read its images"))
    assert torch.equal(again.features(extractor.features, extractor.identity, 50), features) and again.count() == 100
    # The key follows the scoring seed, the split and the count, and never the data set's (training) seed.
    assert Reference(OmegaConf.merge(config, {"seed": 3}), "test", 100, seed=5).key == first.key
    others = [Reference(config, "test", 100, seed=6), Reference(config, "train", 100, seed=5), Reference(config, "test", 50, seed=5)]
    assert len({first.key, *(other.key for other in others)}) == 4
