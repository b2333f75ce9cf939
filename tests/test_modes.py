"""Mode-coverage metrics on hand-made samples (PacGAN protocol)."""

import math

import pytest
import torch

from zoo.data.mixtures import Grid, Ring
from zoo.metrics.modes import mode_metrics

RING = Ring()


def test_all_samples_at_one_mode():
    samples = RING.modes[3].repeat(2500, 1)
    scores = mode_metrics(samples, RING.modes, RING.sigma)
    assert scores == {"modes": 1, "hq_pct": 100.0, "reverse_kl": pytest.approx(math.log(8))}


def test_samples_at_every_mode():
    samples = RING.modes.repeat(300, 1)  # 2,400 samples, evenly over the 8 modes
    scores = mode_metrics(samples, RING.modes, RING.sigma)
    assert scores["modes"] == 8 and scores["hq_pct"] == 100.0
    assert scores["reverse_kl"] == pytest.approx(0.0, abs=1e-12)


def test_far_away_points_are_not_high_quality():
    samples = torch.full((2500, 2), 10.0)
    scores = mode_metrics(samples, RING.modes, RING.sigma)
    assert scores["modes"] == 0 and scores["hq_pct"] == 0.0
    assert scores["reverse_kl"] == pytest.approx(math.log(8))  # no HQ sample: scored as total collapse


def test_high_quality_threshold_is_three_sigma():
    mode = RING.modes[0]
    inside = mode + torch.tensor([2.9 * RING.sigma, 0.0])
    outside = mode + torch.tensor([0.0, 3.1 * RING.sigma])
    scores = mode_metrics(torch.stack([inside, outside]), RING.modes, RING.sigma)
    assert scores["hq_pct"] == 50.0 and scores["modes"] == 1


def test_samples_from_the_data_itself_score_perfectly():
    grid = Grid(n_samples=2500)
    grid.setup()
    scores = mode_metrics(grid.data, grid.modes, grid.sigma)
    assert scores["modes"] == 25
    assert scores["hq_pct"] > 98.0  # a 2-D Gaussian keeps 98.9% of its mass within 3 sigma
    assert scores["reverse_kl"] < 0.02


def test_reverse_kl_of_a_half_collapsed_histogram():
    # HQ samples split evenly over 4 of 8 modes: KL(p || uniform) = log(8 / 4).
    samples = RING.modes[:4].repeat(100, 1)
    assert mode_metrics(samples, RING.modes, RING.sigma)["reverse_kl"] == pytest.approx(math.log(2))
