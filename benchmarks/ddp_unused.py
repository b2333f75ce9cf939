"""What trainer=ddp's ``find_unused_parameters=True`` costs, against a DDP wrapper per network.

The zoo wraps the whole GANModule in one DDP (Lightning's DDPStrategy). Each of its updates
moves one network (the others' parameters are toggled off), so every backward leaves most
parameters without gradients, and DDP's reducer then needs ``find_unused_parameters=True``: at
each backward it walks the autograd graph from the loss to find them, marks them ready, and
all-reduces every bucket, the other networks' zeros included. The alternative gives each network
its own DDP (``find_unused_parameters=False``) and calls it only in the update that moves it
(elsewhere its plain module), so each backward's parameters are exactly the wrapped ones.

Both loops here are plain torch on 2 gloo processes of one CPU thread each, the GAN step of the
zoo (toggled D step on real and detached fake, then the G step through the frozen D), on the same
data and noise: the ring8_gan MLPs (3 x 128, batch 256 per rank) and the DCGAN MNIST nets (z 64,
width 64, batch 64 per rank, 28 x 28 random images: the timing does not depend on the pixels).
Repetitions alternate the two structures, so both see the same machine load; the report is the
median ms per iteration (the range over the repeats in brackets), and whether both reach the
same parameters.

    python benchmarks/ddp_unused.py [repeats=7] [mlp_iterations=100] [dcgan_iterations=8]
"""

import os
import socket
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from zoo.losses import d_nonsaturating, g_nonsaturating
from zoo.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from zoo.nets.mlp import MLPDiscriminator, MLPGenerator

WORLD = 2


def nets(kind: str) -> tuple[nn.Module, nn.Module, int, tuple[int, ...], int]:
    """(G, D, latent size, data shape, batch per rank), seeded alike on every rank."""
    torch.manual_seed(0)
    if kind == "mlp":
        return MLPGenerator(2, (2,), 128, 3), MLPDiscriminator((2,), 128, 3), 2, (2,), 256
    return DCGANGenerator(64, (1, 28, 28), 64), DCGANDiscriminator((1, 28, 28), 64), 64, (1, 28, 28), 64


class Pair(nn.Module):
    """G and D in one module, as the GANModule holds them; ``forward`` is one update's loss."""

    def __init__(self, generator: nn.Module, discriminator: nn.Module):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator

    def forward(self, update: str, real: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        if update == "d":
            with torch.no_grad():
                fake = self.generator(z)
            return d_nonsaturating(self.discriminator(real), self.discriminator(fake))
        return g_nonsaturating(self.discriminator(self.generator(z)))


def toggled(train: nn.Module, frozen: nn.Module):
    """Lightning's toggle_optimizer: the frozen network's parameters stop requiring gradients."""
    for p in train.parameters():
        p.requires_grad_(True)
    for p in frozen.parameters():
        p.requires_grad_(False)


def batch(step: int, rank: int, latent: int, shape: tuple[int, ...], size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Real batch, D's noise and G's noise of ``step`` on ``rank``: a function of both, so the
    two structures see the same numbers."""
    g = torch.Generator().manual_seed(1000 * step + rank)
    return torch.randn(size, *shape, generator=g).clamp(-1, 1), torch.randn(size, latent, generator=g), torch.randn(size, latent, generator=g)


class Shared:
    """The zoo's structure: one DDP around both networks, find_unused_parameters=True."""

    def __init__(self, kind: str):
        generator, discriminator, *self.spec = nets(kind)
        self.pair = DDP(Pair(generator, discriminator), find_unused_parameters=True)
        self.g_opt = torch.optim.Adam(generator.parameters(), 2e-4, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(discriminator.parameters(), 2e-4, betas=(0.5, 0.999))
        self.generator, self.discriminator = generator, discriminator

    def step(self, real, z_d, z_g) -> None:
        for update, optimizer, (train, frozen) in (("d", self.d_opt, (self.discriminator, self.generator)), ("g", self.g_opt, (self.generator, self.discriminator))):
            toggled(train, frozen)
            optimizer.zero_grad(set_to_none=True)
            self.pair(update, real, z_d if update == "d" else z_g).backward()
            optimizer.step()

    def parameters(self):
        return list(self.generator.parameters()) + list(self.discriminator.parameters())


class PerNetwork:
    """One DDP per network, find_unused_parameters=False, each called only in its own update."""

    def __init__(self, kind: str):
        generator, discriminator, *self.spec = nets(kind)
        self.generator, self.discriminator = DDP(generator), DDP(discriminator)
        self.g_opt = torch.optim.Adam(generator.parameters(), 2e-4, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(discriminator.parameters(), 2e-4, betas=(0.5, 0.999))

    def step(self, real, z_d, z_g) -> None:
        toggled(self.discriminator.module, self.generator.module)
        with torch.no_grad():
            fake = self.generator.module(z_d)
        self.d_opt.zero_grad(set_to_none=True)
        d_nonsaturating(self.discriminator(real), self.discriminator(fake)).backward()
        self.d_opt.step()
        toggled(self.generator.module, self.discriminator.module)
        self.g_opt.zero_grad(set_to_none=True)
        g_nonsaturating(self.discriminator.module(self.generator(z_g))).backward()
        self.g_opt.step()

    def parameters(self):
        return list(self.generator.module.parameters()) + list(self.discriminator.module.parameters())


def worker(rank: int, port: int, repeats: int, iterations: dict, out) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    report = {}
    for kind in ("mlp", "dcgan"):
        loops = {"find_unused (one DDP)": Shared(kind), "per-network DDPs": PerNetwork(kind)}
        times = {name: [] for name in loops}
        steps = {name: 0 for name in loops}
        for _ in range(repeats):
            for name, loop in loops.items():  # alternating, so both see the same load
                dist.barrier()
                started = time.perf_counter()
                for _ in range(iterations[kind]):
                    loop.step(*batch(steps[name], rank, *loop.spec))
                    steps[name] += 1
                dist.barrier()
                times[name].append(1000 * (time.perf_counter() - started) / iterations[kind])
        shared, per = (torch.cat([p.detach().flatten() for p in loop.parameters()]) for loop in loops.values())
        report[kind] = {name: (statistics.median(values), min(values), max(values)) for name, values in times.items()}
        report[kind]["max |parameter difference|"] = (shared - per).abs().max().item()
        report[kind]["iterations"] = steps[next(iter(loops))]
    if rank == 0:
        out.put(report)
    dist.destroy_process_group()


def main(repeats: int = 7, mlp_iterations: int = 100, dcgan_iterations: int = 8) -> dict:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    context = mp.get_context("spawn")
    out = context.SimpleQueue()
    mp.start_processes(worker, args=(port, repeats, {"mlp": mlp_iterations, "dcgan": dcgan_iterations}, out), nprocs=WORLD, start_method="spawn")
    report = out.get()
    print(f"torch {torch.__version__}, {os.cpu_count()} CPUs, {WORLD} gloo processes x 1 thread, {repeats} alternating repeats")
    for kind, row in report.items():
        values = ", ".join(f"{name} {median:.2f} ms/it ({low:.2f}-{high:.2f})" for name, (median, low, high) in ((n, v) for n, v in row.items() if "DDP" in n))
        print(f"{kind}: {values}; {row['iterations']} iterations each, max |parameter difference| {row['max |parameter difference|']:.2e}")
    return report


if __name__ == "__main__":
    main(*(int(arg.split("=")[1]) for arg in sys.argv[1:]))
