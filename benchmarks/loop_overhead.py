"""What Lightning's manual optimization costs per GAN iteration, against a hand-written loop.

Both train the default experiment's networks (ring8_gan: MLP 3 x 128, z in R^2, batch 256, Adam)
for the same number of iterations on one CPU thread, one after the other in this process, so the
ratio is measured under the same machine load. The zoo side runs zoo.train's whole path (the
callbacks, the logger, a final checkpoint) with evaluation pushed past the end.

    python benchmarks/loop_overhead.py [iterations=3000] [repeats=3]
"""

import sys
import tempfile
import time

import torch
from hydra import compose, initialize_config_dir

from zoo.cli import CONFIG_DIR
from zoo.data.mixtures import Ring
from zoo.losses import d_nonsaturating, g_nonsaturating
from zoo.nets.mlp import MLPDiscriminator, MLPGenerator
from zoo.jobs.train import train


def plain_loop(iterations: int) -> float:
    """The same training, written as the loop a researcher would write by hand."""
    torch.manual_seed(0)
    data = Ring(batch_size=256)
    data.setup()
    generator, discriminator = MLPGenerator(2, (2,), 128, 3), MLPDiscriminator((2,), 128, 3)
    g_opt = torch.optim.Adam(generator.parameters(), 2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), 2e-4, betas=(0.5, 0.999))
    started, done = time.perf_counter(), 0
    while done < iterations:
        for real in data.train_dataloader():
            with torch.no_grad():
                fake = generator(torch.randn(256, 2))
            d_loss = d_nonsaturating(discriminator(real), discriminator(fake))
            d_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            d_opt.step()
            for p in discriminator.parameters():
                p.requires_grad_(False)
            g_loss = g_nonsaturating(discriminator(generator(torch.randn(256, 2))))
            g_opt.zero_grad(set_to_none=True)
            g_loss.backward()
            g_opt.step()
            for p in discriminator.parameters():
                p.requires_grad_(True)
            done += 1
            if done == iterations:
                break
    return time.perf_counter() - started


def zoo_run(iterations: int) -> float:
    with tempfile.TemporaryDirectory() as out, initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        overrides = ["experiment=ring8_gan", f"iterations={iterations}", f"eval_every={10 * iterations}", "~callbacks.mode_coverage"]
        cfg = compose("train", overrides=[*overrides, f"paths.output_dir={out}", "trainer.enable_progress_bar=false", "~callbacks.progress_bar"])
        return train(cfg)["train_seconds"]


def main() -> None:
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    iterations, repeats = int(args.get("iterations", 3000)), int(args.get("repeats", 3))
    torch.set_num_threads(1)
    zoo_run(50), plain_loop(50)  # warm-up: imports, allocator, first-call overheads
    rows = []
    for repeat in range(repeats):
        plain, lightning = plain_loop(iterations), zoo_run(iterations)
        rows.append((plain, lightning))
        print(f"repeat {repeat}: plain {1000 * plain / iterations:.2f} ms/it, zoo {1000 * lightning / iterations:.2f} ms/it, ratio {lightning / plain:.2f}")
    ratios = sorted(lightning / plain for plain, lightning in rows)
    print(f"median ratio zoo / plain loop over {repeats} repeats of {iterations} iterations: {ratios[len(ratios) // 2]:.2f}")


if __name__ == "__main__":
    main()
