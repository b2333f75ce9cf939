"""Drawing from a trained network: eval mode without autograd, and samples batch by batch."""

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn


@contextmanager
def eval_mode(module: nn.Module) -> Iterator[nn.Module]:
    """Eval mode (batch norm on running statistics, no dropout) and no autograd inside the block;
    every submodule gets its own previous mode back afterwards."""
    modes = [(child, child.training) for child in module.modules()]
    module.eval()
    try:
        with torch.no_grad():
            yield module
    finally:
        for child, training in modes:
            child.training = training


def generate(generator: nn.Module, z: Tensor, batch_size: int = 1024) -> Iterator[Tensor]:
    """Samples of ``generator`` for the noise ``z``, batch by batch, in eval mode: what every
    picture, metric and ``zoo.sample`` draws from."""
    with eval_mode(generator):
        for chunk in z.split(batch_size):
            yield generator(chunk)
