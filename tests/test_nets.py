"""Architectures: output shapes and ranges for every supported data shape."""

import pytest
import torch

from zoo.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from zoo.nets.mlp import MLPDiscriminator, MLPGenerator


@pytest.mark.parametrize("size", [8, 16, 28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_builds_every_supported_size(size, channels):
    generator = DCGANGenerator(latent_dim=16, data_shape=(channels, size, size), width=8)
    discriminator = DCGANDiscriminator(data_shape=(channels, size, size), width=8)
    images = generator(torch.randn(5, 16))
    assert images.shape == (5, channels, size, size)
    assert images.abs().max() <= 1
    assert discriminator(images).shape == (5,)


def test_dcgan_refuses_unsupported_sizes():
    with pytest.raises(ValueError, match="8, 16, 28, 32, 64"):
        DCGANGenerator(latent_dim=8, data_shape=(1, 24, 24))


def test_dcgan_critic_without_batch_norm_has_none():
    critic = DCGANDiscriminator(data_shape=(1, 32, 32), width=8, batch_norm=False)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in critic.modules())


def test_mlp_on_points_and_on_flattened_images():
    points = MLPGenerator(latent_dim=2, data_shape=(2,), hidden=16, depth=2)
    assert points(torch.randn(4, 2)).shape == (4, 2)
    images = MLPGenerator(latent_dim=8, data_shape=(1, 8, 8), hidden=16, depth=2, data_kind="images")
    out = images(torch.randn(4, 8) * 100)
    assert out.shape == (4, 1, 8, 8) and out.abs().max() <= 1
    assert MLPDiscriminator(data_shape=(1, 8, 8), hidden=16, depth=2)(out).shape == (4,)
