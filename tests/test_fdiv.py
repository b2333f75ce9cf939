"""zoo.fdiv: the f-divergences' true values against closed forms, the generators f against the
conjugates f* of zoo.losses, and a short critic estimate through the command line."""

import json
import math

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir

from tests.conftest import run_cli
from zoo.cli import CONFIG_DIR
from zoo.errors import ConfigError
from zoo.jobs.fdiv import fdiv
from zoo.metrics.divergences import GENERATORS, Gaussian, true_divergence
from zoo.losses import F_DIVERGENCES

P, Q = Gaussian(0.0, 1.0), Gaussian(1.0, 1.0)


@pytest.mark.parametrize(
    "name, closed_form",
    [
        ("kl", 0.5),  # (mu_p - mu_q)^2 / 2 for unit variances
        ("reverse_kl", 0.5),
        ("pearson", math.e - 1),  # exp((mu_p - mu_q)^2) - 1
        ("neyman", math.e - 1),
        ("hellinger", 2 * (1 - math.exp(-1 / 8))),  # 2 (1 - Bhattacharyya coefficient exp(-(mu_p - mu_q)^2 / 8))
        ("total_variation", math.erf(0.5 / math.sqrt(2))),  # 2 Phi(1/2) - 1
    ],
)
def test_quadrature_reproduces_the_closed_forms(name, closed_form):
    assert true_divergence(name, P, Q) == pytest.approx(closed_form, rel=1e-8)


def test_quadrature_takes_the_divergence_from_p_to_q():
    # Unequal variances make KL asymmetric: KL(N(0, 1) || N(1, 2^2)) = log 2 + (1 + 1) / 8 - 1/2,
    # and reverse KL of the pair is KL the other way, log(1/2) + (4 + 1) / 2 - 1/2.
    p, q = Gaussian(0.0, 1.0), Gaussian(1.0, 2.0)
    assert true_divergence("kl", p, q) == pytest.approx(math.log(2) + 2 / 8 - 0.5, rel=1e-8)
    assert true_divergence("reverse_kl", p, q) == pytest.approx(-math.log(2) + 5 / 2 - 0.5, rel=1e-8)


def test_jensen_shannon_and_gan_differ_by_log_4():
    # No closed form for Gaussians; the table's two rows are 2 JSD and 2 JSD - log 4.
    js = true_divergence("jensen_shannon", P, Q)
    assert 0 < js < 2 * math.log(2)
    assert true_divergence("gan", P, Q) == pytest.approx(js - math.log(4), rel=1e-8)


@pytest.mark.parametrize("name", list(F_DIVERGENCES))
def test_each_generator_is_conjugate_to_the_losses_f_star(name):
    # f*(t) = sup_u (t u - f(u)) over u > 0, maximised on a fine logarithmic grid (u = 1 is on it,
    # where total variation's sup sits), at t = g_f(v) for a few critic outputs v.
    assert set(GENERATORS) == set(F_DIVERGENCES)
    u = np.exp(np.linspace(-12, 12, 240_001))
    divergence = F_DIVERGENCES[name]
    for v in (-1.0, -0.5, 0.0, 0.5, 1.0):
        t = divergence.activation(torch.tensor(v, dtype=torch.float64)).item()
        expected = divergence.conjugate_of_activation(torch.tensor(v, dtype=torch.float64)).item()
        with np.errstate(divide="ignore", invalid="ignore"):
            supremum = np.nanmax(t * u - GENERATORS[name](u))
        assert supremum == pytest.approx(expected, rel=1e-5, abs=1e-7), f"{name} at v={v}"


def test_a_short_kl_estimate_lands_near_one_half(tmp_path):
    done = run_cli(
        "zoo.fdiv", "divergence=kl", "steps=400", "batch_size=512", "lr=3e-3", "eval_samples=100000", f"hydra.run.dir={tmp_path}", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zoo: kl: estimate"), done.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["status"] == "ok" and results["divergence"] == "kl"
    assert results["true_value"] == pytest.approx(0.5, rel=1e-8)
    assert results["estimate"] == pytest.approx(0.5, abs=0.1)
    assert results["rel_error_pct"] == pytest.approx(100 * abs(results["estimate"] - 0.5) / 0.5)


def test_an_unknown_divergence_is_refused_in_one_line(tmp_path):
    done = run_cli("zoo.fdiv", "divergence=chi2", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-3000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zoo: error: unknown f-divergence 'chi2'"), done.stderr
    assert all(name in lines[0] for name in F_DIVERGENCES)
    assert not list(tmp_path.rglob("results.json"))


@pytest.mark.parametrize(
    "override, message",
    [("q.std=0", r"q.std must be a number > 0, got 0"), ("steps=0", "steps must be a whole number >= 1, got 0"), ("lr=-1", "lr must be a number > 0")],
)
def test_bad_settings_are_refused_before_training(tmp_path, override, message):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("fdiv", overrides=[override, f"output_dir={tmp_path}"])
    with pytest.raises(ConfigError, match=message):
        fdiv(cfg)
    assert not (tmp_path / "results.json").exists()


def test_help_lists_the_settings():
    done = run_cli("zoo.fdiv", "--help")
    assert done.returncode == 0 and "zoo-fdiv" in done.stdout
    assert all(f"{key}:" in done.stdout for key in ("divergence", "seed", "steps", "batch_size", "eval_samples"))
