"""Data modules: the mixtures' exact geometry, image scaling, on-device batching, missing data."""

import math

import pytest
import torch

from tests.conftest import mnist_root
from zoo.data.base import TensorBatches
from zoo.data.images import Digits, TorchvisionImages
from zoo.data.mixtures import Grid, Ring
from zoo.errors import ConfigError


def test_ring_has_eight_distinct_modes_on_the_unit_circle():
    ring = Ring()
    assert ring.modes.shape == (8, 2)
    assert torch.allclose(ring.modes.norm(dim=1), torch.ones(8))
    angles = torch.atan2(ring.modes[:, 1], ring.modes[:, 0]) % (2 * math.pi)
    assert torch.allclose(angles.sort().values, torch.arange(8) * 2 * math.pi / 8, atol=1e-6)
    assert ring.sigma == 0.01


def test_grid_modes_are_the_pacgan_grid():
    grid = Grid()
    ticks = {-4.0, -2.0, 0.0, 2.0, 4.0}
    assert grid.modes.shape == (25, 2) and grid.sigma == 0.05
    assert {tuple(m) for m in grid.modes.tolist()} == {(x, y) for x in ticks for y in ticks}


def test_mixture_is_reproducible_from_its_seed_and_has_the_right_spread():
    a, b, c = Ring(n_samples=20000, seed=1), Ring(n_samples=20000, seed=1), Ring(n_samples=20000, seed=2)
    for module in (a, b, c):
        module.setup()
    assert torch.equal(a.data, b.data) and not torch.equal(a.data, c.data)
    offsets = a.data - a.modes[a.labels]
    assert offsets.std().item() == pytest.approx(0.01, rel=0.05)
    assert torch.bincount(a.labels).min() > 20000 / 8 * 0.9


def test_digits_are_scaled_to_unit_range_and_resizable():
    for size in (8, 16, 32):
        digits = Digits(size=size)
        digits.setup()
        assert digits.shape == (1, size, size)
        assert digits.data.min() >= -1 and digits.data.max() <= 1
        assert digits.data.min() == -1 and digits.data.max() > 0.9
    assert len(digits.labels) == 1797


def consume(batches: TensorBatches, n: int | None = None) -> list[list[float]]:
    """Draw batches as the trainer does, each one consumed (``consumed()``) as it is used: one
    pass, or ``n`` batches over as many passes as that takes."""
    drawn = []
    while True:
        for batch in batches:
            drawn.append(batch.squeeze(1).tolist())
            batches.consumed()
            if len(drawn) == n:
                return drawn
        if n is None:
            return drawn


def test_batches_are_shuffled_disjoint_and_drop_the_runt():
    data = torch.arange(10).float().unsqueeze(1)
    batches = TensorBatches(data, batch_size=3, seed=0)
    first = consume(batches)
    assert len(first) == 3 and all(len(b) == 3 for b in first)
    flat = sum(first, [])
    assert len(set(flat)) == 9  # no repeats within a pass
    second = consume(batches)
    assert second != first  # reshuffled each pass


def test_batches_resume_where_the_consumed_ones_stopped():
    data = torch.arange(40).float().unsqueeze(1)
    straight = consume(TensorBatches(data, batch_size=4, seed=3), n=25)  # two and a half passes
    interrupted = TensorBatches(data, batch_size=4, seed=3)
    before = consume(interrupted, n=13)
    next(iter(interrupted))  # fetched ahead (as Lightning does) but never consumed
    resumed = TensorBatches(data, batch_size=4, seed=3)
    resumed.load_state_dict(interrupted.state_dict())
    assert before + consume(resumed, n=12) == straight


def test_grouped_batches_are_the_same_batches_joined_and_resume_with_another_group():
    data = torch.arange(48).float().unsqueeze(1)  # 12 batches of 4 a pass: 4 groups of 3
    single = consume(TensorBatches(data, batch_size=4, seed=5), n=30)
    grouped = TensorBatches(data, batch_size=4, seed=5, group=3)
    assert len(grouped) == 4
    joined = consume(grouped, n=6)  # two passes and a half
    assert joined == [sum(single[i : i + 3], []) for i in range(0, 18, 3)]
    resumed = TensorBatches(data, batch_size=4, seed=5)  # one batch at a time from where the groups stopped
    resumed.load_state_dict(grouped.state_dict())
    assert consume(resumed, n=12) == single[18:30]
    assert len(TensorBatches(torch.arange(50).float().unsqueeze(1), batch_size=4, seed=0, group=5)) == 2  # 12 batches: 2 whole groups


def test_ranks_see_disjoint_batches():
    data = torch.arange(12).float().unsqueeze(1)
    seen = [{int(x) for batch in TensorBatches(data, 2, seed=0, rank=r, world_size=2) for x in batch} for r in (0, 1)]
    assert not seen[0] & seen[1] and len(seen[0]) == len(seen[1]) == 6


def test_mnist_loads_from_the_local_root():
    root = mnist_root()
    for name in ("MNIST", "FashionMNIST"):
        module = TorchvisionImages(name=name, root=str(root), download=False)
        module.setup()
        assert module.shape == (1, 28, 28) and len(module.data) == 60000
        assert module.data.min() == -1 and module.data.max() == 1
    small = TorchvisionImages(name="MNIST", root=str(root), download=False, size=16)
    assert small.shape == (1, 16, 16)


def test_missing_mnist_without_download_names_root_and_download(tmp_path):
    module = TorchvisionImages(name="MNIST", root=str(tmp_path), download=False)
    with pytest.raises(ConfigError, match="dataset.root=.*dataset.download"):
        module.prepare_data()
