"""Scoring benchmark: FID of real MNIST test digits against the training split, with each backbone,
and the cost of an evaluation with a cold and a warm reference cache.

    python benchmarks/scoring.py --root ../shared/data --n-classifier 10000 --n-inception 500

Runs ``python -m zoo.eval fake_dir=<test digits as PNG> dataset=mnist scoring.split=train`` twice per backbone
with a fresh cache folder: the first run computes the real reference features (cold), the second
reads them (warm). The domain classifier is trained first if it is not cached (its time is printed
apart). Prints a Markdown table: FID, and seconds per run and per 10,000 fakes.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torchvision.io import write_png

from zoo.data.images import TorchvisionImages


def write_digits(root: str, n: int, folder: Path) -> None:
    """The first ``n`` MNIST test digits as PNG files (the stand-in for a generator's output)."""
    test = TorchvisionImages(root=root, download=False, train=False)
    test.setup()
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(test.data[:n]):
        write_png(((image + 1) * 127.5).round().to(torch.uint8), str(folder / f"{i:05d}.png"))


def run_eval(args: list[str], env: dict) -> tuple[dict, float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "zoo.eval", *args], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1]), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="../shared/data")
    parser.add_argument("--n-classifier", type=int, default=10_000)
    parser.add_argument("--n-inception", type=int, default=500)
    parser.add_argument("--classifier-cache", default=None, help="ZOO_CACHE holding (or to hold) the trained classifier")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads for every command (default: torch's)")
    options = parser.parse_args()
    root = str(Path(options.root).resolve())
    work = Path(tempfile.mkdtemp(prefix="zoo-scoring-"))
    rows = []
    classifier_cache = options.classifier_cache or str(work / "classifier-cache")
    started = time.perf_counter()
    threads = [f"threads={options.threads}"] if options.threads else []
    done = subprocess.run([sys.executable, "-m", "zoo.classifier", f"dataset.root={root}", "dataset.download=false", f"cache_dir={classifier_cache}", *threads],
                          capture_output=True, text=True)
    print(done.stdout.strip().splitlines()[-1], f"({time.perf_counter() - started:.0f} s with start-up)", file=sys.stderr)
    classifier = done.stdout.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    for backbone, n in (("classifier", options.n_classifier), ("inception", options.n_inception)):
        fakes = work / f"fakes-{n}"
        if not fakes.is_dir():
            write_digits(root, n, fakes)
        env = {**os.environ, "ZOO_CACHE": str(work / f"cache-{backbone}")}
        args = [f"fake_dir={fakes}", "dataset=mnist", f"dataset.root={root}", "dataset.download=false", "scoring.split=train", f"scoring.n_samples={n}", f"scoring.n_real={n}"]
        args += [f"scoring.backbone={backbone}", f"scoring.classifier_path={classifier}", "overwrite=true", "metrics=[fid]", f"out={work}/{backbone}.json", "verbose=false", *threads]
        for cache in ("cold", "warm"):
            results, seconds = run_eval(args, env)
            rows.append((backbone, n, cache, results["fid"], seconds, seconds / n * 10_000))
            print(rows[-1], file=sys.stderr)
    print("| backbone | fakes = reals | cache | FID (MNIST test vs train) | seconds | seconds per 10,000 fakes |")
    print("|---|---|---|---|---|---|")
    for backbone, n, cache, fid, seconds, per in rows:
        print(f"| {backbone} | {n:,} | {cache} | {fid:.3f} | {seconds:.0f} | {per:.0f} |")


if __name__ == "__main__":
    main()
