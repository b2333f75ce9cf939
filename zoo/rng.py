"""The global random number generators' states (torch's, CUDA's, numpy's, python's): captured into a
checkpoint and restored from it, so a resumed run draws what the uninterrupted one would have; and
a block that leaves them as it found them, so evaluating never changes a run's training."""

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch


def capture() -> dict:
    """The states as plain tensors, lists and numbers (a checkpoint with them still loads with
    ``torch.load(weights_only=True)``)."""
    state, position, has_gauss, gauss = np.random.get_state()[1:]
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else [],
        "numpy": [torch.from_numpy(state.astype(np.int64)), position, has_gauss, gauss],
        "python": random.getstate(),
    }


def restore(states: dict) -> None:
    """Set the states ``capture`` returned."""
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    state, position, has_gauss, gauss = states["numpy"]
    np.random.set_state(("MT19937", state.numpy().astype(np.uint32), position, has_gauss, gauss))
    random.setstate(tuple(tuple(part) if isinstance(part, list) else part for part in states["python"]))


@contextmanager
def untouched(device: torch.device) -> Iterator[None]:
    """Whatever the block draws from the global generators, the code after it draws what it would
    have drawn without the block."""
    numpy_state, python_state = np.random.get_state(), random.getstate()
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else [], device_type=device.type):
        yield
    np.random.set_state(numpy_state)
    random.setstate(python_state)
