"""GPU checks (issue 11): every variant under bf16 and fp16 mixed precision on a GPU, and DCGAN
throughput of the zoo against a hand-written PyTorch AMP loop, in the same process.

    python benchmarks/gpu_check.py [--iterations 300] [--out docs/gpu_check.json]

Data: scikit-learn's bundled digits upsampled to 32x32 (in memory, no download), DCGAN nets at
32x32, batch 64. Each throughput side is timed after a warm-up, in images per second (real images
seen by D per second: batch x critic steps). Prints a markdown table and writes the numbers as JSON.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir

import zoo.data  # noqa: F401  (the ${zoo.data:...} resolver)
from zoo.cli import CONFIG_DIR, quiet_start_up
from zoo.losses import d_nonsaturating, g_nonsaturating
from zoo.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from zoo.jobs.train import train

VARIANTS = {  # variant -> overrides on digits at 32x32 with the DCGAN nets
    "gan": ["model=gan"],
    "lsgan": ["model=gan", "loss=least_squares"],
    "hinge": ["model=gan", "loss=hinge"],
    "fgan_kl": ["model=gan", "loss=fgan", "loss.divergence=kl"],
    "wgan": ["model=wgan"],
    "wgan_gp": ["model=wgan_gp", "net.discriminator.batch_norm=false"],
    "sngan": ["model=sngan", "net.discriminator.batch_norm=false"],
    "ebgan": ["model=ebgan"],
    "infogan": ["model=infogan", "net.latent_dim=74"],
    "vaegan": ["model=vaegan"],
    "bigan": ["model=bigan"],
}
COMMON = ["dataset=digits", "dataset.size=32", "net=dcgan", "logger=csv", "trainer=gpu", "~callbacks.progress_bar",
          "trainer.enable_progress_bar=false", "threads=4"]  # fmt: skip


def config(overrides, output_dir):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose("train", overrides=[*COMMON, *overrides, f"paths.output_dir={output_dir}"])


def hand_written(precision: str, iterations: int, batch: int = 64) -> float:
    """Images per second of a plain PyTorch GAN loop with the same nets, losses and optimizers."""
    device = torch.device("cuda")
    data = torch.rand(2048, 1, 32, 32, device=device) * 2 - 1
    generator, discriminator = DCGANGenerator(100, (1, 32, 32)).to(device), DCGANDiscriminator((1, 32, 32)).to(device)
    g_opt = torch.optim.Adam(generator.parameters(), 2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), 2e-4, betas=(0.5, 0.999))
    dtype = {"bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}.get(precision)
    scaler = torch.amp.GradScaler("cuda", enabled=precision == "16-mixed")
    autocast = torch.autocast("cuda", dtype=dtype or torch.float32, enabled=dtype is not None)

    def step(i):
        real = data[torch.randint(len(data), (batch,), device=device)]
        with autocast:
            fake = generator(torch.randn(batch, 100, device=device))
            d_loss = d_nonsaturating(discriminator(real), discriminator(fake.detach()))
        d_opt.zero_grad(set_to_none=True)
        scaler.scale(d_loss).backward()
        scaler.step(d_opt)
        with autocast:
            g_loss = g_nonsaturating(discriminator(fake))
        g_opt.zero_grad(set_to_none=True)
        scaler.scale(g_loss).backward()
        scaler.step(g_opt)
        scaler.update()

    for i in range(30):
        step(i)
    torch.cuda.synchronize()
    started = time.perf_counter()
    for i in range(iterations):
        step(i)
    torch.cuda.synchronize()
    return iterations * batch / (time.perf_counter() - started)


def zoo_rate(precision: str, iterations: int, work: Path) -> float:
    """Images per second of zoo.train on the same nets (callbacks, logger, checkpoint as a user runs
    it; evaluation only at the end), from the iterations after a 30-iteration warm-up run."""
    results = {}
    for n in (30, 30 + iterations):
        cfg = config(["model=gan", f"trainer.precision={precision}", f"iterations={n}", f"eval_every={10 * n}"], work / f"zoo-{precision}-{n}")
        started = time.perf_counter()
        results[n] = train(cfg)
        results[n]["wall"] = time.perf_counter() - started
    return iterations * 64 / (results[30 + iterations]["train_seconds"] - results[30]["train_seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--variant-iterations", type=int, default=60)
    parser.add_argument("--out", default="gpu_check.json")
    parser.add_argument("--dry-run", action="store_true", help="on the CPU: every variant for 2 iterations, no throughput")
    options = parser.parse_args()
    if options.dry_run:
        COMMON[COMMON.index("trainer=gpu")] = "trainer=cpu"
        options.variant_iterations = 2
    quiet_start_up()
    torch.backends.cudnn.benchmark = True
    device = "cpu (dry run)" if options.dry_run else torch.cuda.get_device_name()
    report = {"device": device, "torch": torch.__version__, "variants": {}, "throughput": {}}
    work = Path(tempfile.mkdtemp())
    for precision in ("bf16-mixed", "16-mixed"):
        for name, overrides in VARIANTS.items():
            started = time.perf_counter()
            try:
                results = train(config([*overrides, f"trainer.precision={precision}", f"iterations={options.variant_iterations}", "eval_every=30"], work / f"{name}-{precision}"))
                row = {"status": results["status"], "iterations": results["iterations"], "seconds": round(time.perf_counter() - started, 1)}
                row |= {k: v for k, v in results.items() if k.startswith("train/") and k.endswith("loss")}
            except Exception as error:  # a crash is a finding, not the end of the check
                row = {"status": "crashed", "error": f"{type(error).__name__}: {error}"[:300]}
            report["variants"][f"{name} {precision}"] = row
            print(name, precision, row, file=sys.stderr, flush=True)
    for precision in () if options.dry_run else ("32-true", "bf16-mixed", "16-mixed"):
        plain, zoo_side = hand_written(precision, options.iterations), zoo_rate(precision, options.iterations, work)
        report["throughput"][precision] = {"hand_written_img_s": round(plain), "zoo_img_s": round(zoo_side), "ratio": round(zoo_side / plain, 3)}
        print(precision, report["throughput"][precision], file=sys.stderr, flush=True)
    Path(options.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"device: {report['device']}, torch {report['torch']}")
    print("| variant | precision | status | seconds | final losses |\n|---|---|---|---|---|")
    for key, row in report["variants"].items():
        name, precision = key.split()
        losses = ", ".join(f"{k.removeprefix('train/')} {v:.3g}" for k, v in row.items() if k.startswith("train/") and v is not None)
        print(f"| {name} | {precision} | {row['status']} | {row.get('seconds', '')} | {losses or row.get('error', '')} |")
    print("\n| precision | hand-written (img/s) | zoo (img/s) | zoo / hand-written |\n|---|---|---|---|")
    for precision, row in report["throughput"].items():
        print(f"| {precision} | {row['hand_written_img_s']} | {row['zoo_img_s']} | {row['ratio']} |")


if __name__ == "__main__":
    main()
