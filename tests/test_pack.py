"""Packing (PacGAN, Lin et al. 2018): shapes, which samples a packed judgement reads, pack=1 as the
unpacked discriminator, the refusals, and short training runs of the packed variants and presets."""

import pytest
import torch
from torch import nn

from tests.conftest import QUICK, compose_config
from zoo.cli import CONFIG_DIR
from zoo.errors import ConfigError
from zoo.losses import gradient_penalty
from zoo.nets.dcgan import DCGANDiscriminator
from zoo.nets.joint import ConvJointDiscriminator, MLPJointDiscriminator
from zoo.nets.mlp import MLPDiscriminator
from zoo.nets.pack import pack, unpack
from zoo.nets.pacgan import MaxoutDiscriminator, MaxoutJointDiscriminator
from zoo.jobs.train import train

PAPER_PRESETS = sorted(f"{path.parent.name}/{path.stem}" for folder in ("pacgan", "veegan") for path in (CONFIG_DIR / "experiment" / folder).glob("*.yaml"))


def test_pack_groups_consecutive_samples_and_unpack_inverts_it():
    points = torch.arange(12.0).view(6, 2)
    assert pack(points, 3).tolist() == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]
    images = torch.randn(4, 3, 8, 8)
    packed = pack(images, 2)
    assert packed.shape == (2, 6, 8, 8) and torch.equal(packed[1, 3:], images[3])
    assert torch.equal(unpack(packed, 2), images) and torch.equal(pack(images, 1), images)
    with pytest.raises(ValueError, match="divisible by model.pack"):
        pack(points, 4)


def single(cls, m, **kwargs):
    """A discriminator of x alone, packing ``m`` samples (joint ones get a fixed z per sample)."""
    torch.manual_seed(0)
    if cls in (MLPJointDiscriminator, MaxoutJointDiscriminator, ConvJointDiscriminator):
        net = cls(latent_dim=3, pack=m, **kwargs).eval()  # eval: batch norm reads no other sample
        return lambda x: net(x, torch.linspace(-1, 1, 3 * len(x)).view(len(x), 3))
    return cls(pack=m, **kwargs).eval()


CASES = [
    (MLPDiscriminator, (2,), {"data_shape": (2,), "hidden": 8, "depth": 2}),
    (MaxoutDiscriminator, (2,), {"data_shape": (2,), "hidden": 8, "depth": 2, "pieces": 3}),
    (DCGANDiscriminator, (1, 8, 8), {"data_shape": (1, 8, 8), "width": 4}),
    (MLPJointDiscriminator, (2,), {"data_shape": (2,), "hidden": 8, "depth": 2}),
    (MaxoutJointDiscriminator, (2,), {"data_shape": (2,), "hidden": 8, "depth": 2}),
    (ConvJointDiscriminator, (1, 8, 8), {"data_shape": (1, 8, 8), "width": 4, "hidden": 8}),
]


@pytest.mark.parametrize("m", [2, 3])
@pytest.mark.parametrize("cls, shape, kwargs", CASES, ids=[case[0].__name__ for case in CASES])
def test_a_packed_judgement_reads_all_m_samples_of_its_group_and_only_them(cls, shape, kwargs, m):
    discriminator = single(cls, m, **kwargs)
    x = torch.randn(4 * m, *shape)
    assert discriminator(x).shape == (4,)
    jacobian = torch.autograd.functional.jacobian(discriminator, x)  # (4, 4m, *shape)
    reads = jacobian.flatten(2).abs().sum(2) > 0  # output i reads sample j
    assert torch.equal(reads, torch.eye(4, dtype=torch.bool).repeat_interleave(m, dim=1))


def test_pack_1_is_the_unpacked_discriminator():
    torch.manual_seed(0)
    packed = MLPDiscriminator(data_shape=(2,), hidden=8, depth=2, pack=1)
    torch.manual_seed(0)
    old = nn.Sequential(nn.Flatten(), nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    assert [k.replace("features.", "") for k in packed.state_dict()][:4] == [k for k in old.state_dict()][:4]
    x = torch.randn(5, 2)
    assert torch.equal(packed(x), old(x).squeeze(1))
    for cls, shape, kwargs in CASES:  # the same parameters, by name and shape, as without packing
        torch.manual_seed(0)
        one = cls(**kwargs, **({"latent_dim": 3} if "Joint" in cls.__name__ else {}))
        torch.manual_seed(0)
        again = cls(**kwargs, **({"latent_dim": 3} if "Joint" in cls.__name__ else {}), pack=1)
        assert all(torch.equal(a, b) for a, b in zip(one.state_dict().values(), again.state_dict().values()))


def test_the_packed_gradient_penalty_at_pack_1_is_the_plain_one():
    discriminator = MLPDiscriminator(data_shape=(2,), hidden=8, depth=2)
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    torch.manual_seed(1)
    plain = gradient_penalty(discriminator, real, fake)
    torch.manual_seed(1)
    packed = gradient_penalty(lambda p: discriminator(unpack(p, 1)), pack(real, 1), pack(fake, 1))
    assert torch.equal(plain, packed)


@pytest.mark.parametrize("preset", ["ring8_infogan", "ring8_ebgan", "ring8_vaegan"])
def test_variants_that_read_d_per_sample_refuse_to_pack_in_one_line(tmp_path, preset):
    cfg = compose_config([*QUICK, f"experiment={preset}", "model.pack=2", "dataset.batch_size=64"], tmp_path)
    with pytest.raises(ConfigError, match=r"model.pack=2: .* cannot pack; packing works with gan .*bigan") as error:
        train(cfg)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["dataset.batch_size=100", "model.pack=3"], "dataset.batch_size=100 is not divisible by model.pack=3"),
        (["model.pack=0"], "model.pack must be a whole number >= 1, got 0"),
    ],
)
def test_bad_pack_settings_are_refused_in_one_line(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        train(compose_config([*QUICK, *overrides], tmp_path))


SMALL = ["net.generator.hidden=16", "net.discriminator.hidden=16", "dataset.batch_size=64"]


@pytest.mark.parametrize(
    "overrides",
    [
        ["model.pack=2"],  # GAN pack 2 on the ring
        ["model.pack=4", "loss=least_squares"],
        ["model=wgan_gp", "model.pack=2"],
        ["model=sngan", "model.pack=2"],
        ["model=bigan", "model.pack=2", "net.joint_discriminator.hidden=16", "net.encoder.hidden=16"],
    ],
    ids=["gan", "lsgan-pack4", "wgan_gp", "sngan", "bigan"],
)
def test_packed_variants_train_a_few_iterations_on_the_ring(tmp_path, overrides):
    results = train(compose_config([*QUICK, *SMALL, *overrides], tmp_path))
    assert results["status"] == "ok" and results["iterations"] == 6


def test_the_paper_presets_compose_and_run(tmp_path):
    assert len(PAPER_PRESETS) == 12
    for preset in PAPER_PRESETS:
        results = train(compose_config([*QUICK, f"experiment={preset}"], tmp_path / preset.replace("/", "_")))
        assert results["status"] == "ok" and results["iterations"] == 6, preset
