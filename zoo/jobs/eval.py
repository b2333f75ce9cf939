"""The work of ``zoo-eval`` (zoo/eval.py is the command and says what it does)."""

import json
import sys
import time

import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from torch import Tensor
from tqdm import tqdm

from zoo.checkpoint import load_generator
from zoo.cli import writable_output
from zoo.data.files import read_image_dir
from zoo.errors import ConfigError
from zoo.factory import build
from zoo.metrics.classifier import load_classifier, predict_labels
from zoo.metrics.fidelity import score
from zoo.metrics.matching import matched_accuracy
from zoo.metrics.names import METRICS, check_metrics
from zoo.metrics.scoring import Scoring
from zoo.metrics.stacked_mnist import stacked_mnist_metrics
from zoo.models.base import GANModule
from zoo.models.sampling import generate


def sample_checkpoint(model: GANModule, z: Tensor, batch_size: int, progress: bool = True) -> Tensor:
    """The samples (float in [-1, 1], on the CPU) of a checkpoint's generator for the noise ``z``,
    batch by batch in eval mode, with a progress bar."""
    batches = generate(model.generator, z, batch_size)
    total = -(-len(z) // batch_size)
    return torch.cat([images.cpu() for images in tqdm(batches, total=total, desc="generating", file=sys.stderr, leave=False, disable=not progress)])


def evaluate(cfg: DictConfig, dataset_overrides: DictConfig | None = None, dataset_chosen: bool = False) -> dict:
    """Scores per ``cfg`` (conf/eval.yaml); writes them to ``cfg.out`` and returns them.
    ``dataset_overrides`` (the user's dataset.* settings) adjust a checkpoint's own data set;
    ``dataset_chosen``: the user named the data set (dataset=<name>), which a folder of fakes needs."""
    started = time.perf_counter()
    if (cfg.ckpt_path is None) == (cfg.fake_dir is None):
        raise ConfigError("give either ckpt_path=<checkpoint> or fake_dir=<folder of images> dataset=<name>")
    out = writable_output(cfg.out, cfg.overwrite)
    metrics = check_metrics(cfg.metrics, setting="metrics", required=True)
    scoring: Scoring = build(cfg.scoring, "scoring")
    if cfg.fake_dir is not None:
        if not dataset_chosen:
            raise ConfigError("fake_dir needs dataset=<name> to compare with (e.g. dataset=mnist dataset.root=...)")
        model, dataset_cfg = None, cfg.dataset
    else:
        model, run_cfg = load_generator(cfg.ckpt_path, cfg.device, cfg.ema)
        if run_cfg.data.kind != "images":
            raise ConfigError(f"ckpt_path={cfg.ckpt_path} generates {run_cfg.data.kind}, not images: score it with zoo.sample's mode metrics")
        dataset_cfg = cfg.dataset if dataset_chosen else OmegaConf.merge(run_cfg.dataset, dataset_overrides or {})
    # Everything that can be refused is, before any image is read or generated.
    scoring.check(metrics, dataset_cfg)
    needs_real = any(METRICS[name].needs_real for name in metrics)
    reference = scoring.reference(dataset_cfg) if needs_real else None  # its images are read only if not cached
    by_classifier = [name for name in metrics if not METRICS[name].on_backbone]
    classifier = scoring.classifier_file(dataset_cfg) if scoring.backbone == "classifier" or by_classifier else None
    z = categories = None
    if model is not None:
        z = scoring.noise(model)  # the in-training evaluation's draw: the same score for the same checkpoint
        categories = model.categories_of(z)
    if "code_accuracy" in metrics and categories is None:
        raise ConfigError("code_accuracy scores an InfoGAN checkpoint's categorical code: give ckpt_path=<an infogan run's checkpoint>")
    if model is None:
        fake = read_image_dir(cfg.fake_dir, scoring.n_samples, cfg.verbose)
    else:
        fake = sample_checkpoint(model, z, scoring.batch_size, cfg.verbose)

    results: dict = {"n_fake": len(fake)}
    on_backbone = [name for name in metrics if METRICS[name].on_backbone]
    if on_backbone:
        if reference is not None:
            results["n_real"] = reference.count()
        results |= score(
            fake, reference, on_backbone, scoring.backbone, scoring.weights_path, classifier,
            kid_subset_size=scoring.kid_subset_size, kid_subsets=scoring.kid_subsets, isc_splits=scoring.is_splits,
            batch_size=scoring.batch_size, cache=scoring.cache / "fidelity", download=scoring.download,
            device=cfg.device, verbose=cfg.verbose,
        )  # fmt: skip
        results["backbone"] = scoring.backbone
    domain_classifier = load_classifier(classifier) if by_classifier else None
    if "modes" in metrics:
        results |= stacked_mnist_metrics(fake, domain_classifier)
    if "code_accuracy" in metrics:
        # InfoGAN (Chen et al. 2016): how well the categorical code picks the class, read off the
        # samples by the domain classifier and matched to the codes by the Hungarian method.
        predicted = predict_labels(domain_classifier, fake)
        results["code_accuracy"] = matched_accuracy(categories.cpu().numpy(), predicted.numpy())
    results["eval_seconds"] = round(time.perf_counter() - started, 2)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return results


def run(cfg: DictConfig) -> None:
    """``zoo-eval`` on its composed config."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    overrides = HydraConfig.get().overrides.task
    dataset_chosen = any(override.split("=", 1)[0] == "dataset" for override in overrides)
    dataset_overrides = OmegaConf.from_dotlist([o for o in overrides if o.startswith("dataset.")]).get("dataset")
    results = evaluate(cfg, dataset_overrides if cfg.ckpt_path is not None and not dataset_chosen else None, dataset_chosen)
    print(json.dumps(results))
