"""Bad input stops before training with one clear line, a non-zero exit and no results.json."""

import numpy as np
import pytest

from tests.conftest import QUICK, compose_config, run_cli
from zoo.errors import ConfigError
from zoo.jobs.sample import sample
from zoo.jobs.train import train


def sample_to(run_dir):
    out = run_dir / "s.npy"
    sample(str(run_dir / "checkpoints" / "last.ckpt"), 16, str(out))
    return out


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["net=dcgan"], r"the dcgan net is for square images \(C, H, W\) but the data have shape \[2\]: choose net=mlp"),
        (["dataset.batch_size=0"], "dataset.batch_size must be a whole number >= 1, got 0"),
        (["model.g_optimizer.lr=0"], r"model.g_optimizer.lr must be a number > 0, got 0"),
        (["model.d_optimizer.lr=-1e-4"], r"model.d_optimizer.lr must be a number > 0"),
        (["iterations=0"], "iterations must be a whole number >= 1 or null, got 0"),
        (["ckpt_path=/nowhere/last.ckpt"], "ckpt_path=/nowhere/last.ckpt does not exist"),
        (["dataset=digits", "net=dcgan", "dataset.size=12"], "8, 16, 28, 32, 64"),
        (["lr_decay=step"], "lr_decay=step is unknown; choose one of none, linear, cosine"),
    ],
)
def test_refused_before_training(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        train(compose_config([*QUICK, *overrides], tmp_path))
    assert not (tmp_path / "results.json").exists()


def test_mlp_runs_on_flattened_images_with_a_tanh_output(tmp_path):
    cfg = compose_config([*QUICK, "dataset=digits"], tmp_path)
    assert cfg.data.kind == "images" and list(cfg.data.shape) == [1, 8, 8]
    results = train(cfg)
    assert results["status"] == "ok"
    samples = np.load(sample_to(tmp_path))
    assert samples.shape == (16, 1, 8, 8) and np.abs(samples).max() <= 1


def test_missing_mnist_with_download_off(tmp_path):
    cfg = compose_config([*QUICK, "experiment=mnist_gan", f"dataset.root={tmp_path / 'empty'}", "dataset.download=false"], tmp_path)
    with pytest.raises(ConfigError, match="no MNIST data under dataset.root=.* and dataset.download=false"):
        train(cfg)


def assert_one_line_refusal(done, *fragments):
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zoo: error:"), done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["model=foo"], ["unknown model 'foo'", "gan"]),
        (["dataset=foo"], ["unknown dataset 'foo'", "celeba, cifar10, digits, fashion_mnist, grid25, image_folder, mnist, ring8, stacked_mnist"]),
        (["-m", "loss=nonsaturating,foo"], ["unknown loss 'foo'", "minimax, nonsaturating"]),
        (["experiment=mnist_gan", "dataset.root=/nonexistent", "dataset.download=false"], ["dataset.root=/nonexistent", "dataset.download"]),
        (["net=dcgan"], ["choose net=mlp"]),
        (["ckpt_path=missing.ckpt"], ["ckpt_path=missing.ckpt does not exist"]),
    ],
)
def test_command_line_refusals_are_one_line(tmp_path, args, fragments):
    done = run_cli("zoo.train", *args, f"hydra.run.dir={tmp_path}/run")
    assert_one_line_refusal(done, *fragments)
    assert not (tmp_path / "run" / "results.json").exists()


def test_sample_refusals_are_one_line(tmp_path):
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(b"not a checkpoint")
    assert_one_line_refusal(run_cli("zoo.sample", f"ckpt_path={tmp_path}/none.ckpt"), "does not exist")
    assert_one_line_refusal(run_cli("zoo.sample", f"ckpt_path={corrupt}"), "not a readable checkpoint")
    assert_one_line_refusal(run_cli("zoo.sample", f"ckpt_path={corrupt}", "out=x.jpg"), ".npy or .png")


# --- the typed validation pass: every wrong type or range is one line naming key, value, rule ----

BAD_SETTINGS = [
    (["dataset.batch_size=abc"], "dataset.batch_size must be a whole number >= 1, got 'abc'"),
    (["seed=abc"], "seed must be a whole number >= 0, got 'abc'"),
    (["seed=-1"], "seed must be a whole number >= 0, got -1"),
    (["model.d_optimizer.lr=nan"], "model.d_optimizer.lr must be a number > 0, got nan"),
    (["model.g_optimizer.lr=inf"], "model.g_optimizer.lr must be a number > 0, got inf"),
    (["model.g_optimizer.lr=fast"], "model.g_optimizer.lr must be a number > 0, got 'fast'"),
    (["model.d_optimizer.betas=[0.5,1.5]"], r"model.d_optimizer.betas\[1\] must be a number >= 0 and <= 1, got 1.5"),
    (["threads=-1"], "threads must be a whole number >= 1 or null, got -1"),
    (["threads=0"], "threads must be a whole number >= 1 or null, got 0"),
    (["iterations_per_step=0"], "iterations_per_step must be a whole number >= 1, got 0"),
    (["eval_every=0"], "eval_every must be a whole number >= 1, got 0"),
    (["eval_every=2.5"], "eval_every must be a whole number >= 1, got 2.5"),
    (["checkpoint_every=0"], "checkpoint_every must be a whole number >= 1, got 0"),
    (["iterations=1.5"], "iterations must be a whole number >= 1 or null, got 1.5"),
    (["iterations=-3"], "iterations must be a whole number >= 1 or null, got -3"),
    (["iterations=null", "trainer.max_epochs=null"], "no training budget"),
    (["dataset.sigma=-1"], "dataset.sigma must be a number > 0, got -1"),
    (["dataset.sigma=0"], "dataset.sigma must be a number > 0, got 0"),
    (["dataset.radius=0"], "dataset.radius must be a number > 0, got 0"),
    (["dataset.n_samples=0"], "dataset.n_samples must be a whole number >= 1, got 0"),
    (["dataset.n_modes=0"], "dataset.n_modes must be a whole number >= 1, got 0"),
    (["dataset.n_samples=100", "dataset.batch_size=512"], "dataset.batch_size=512 is larger than the data"),
    (["net.latent_dim=0"], "net.latent_dim must be a whole number >= 1, got 0"),
    (["net.generator.hidden=-8"], "net.generator.hidden must be a whole number >= 1, got -8"),
    (["net.discriminator.depth=0"], "net.discriminator.depth must be a whole number >= 1, got 0"),
    (["loss.real_label=2"], "loss.real_label must be a number >= 0 and <= 1, got 2"),
    (["loss.real_label=-0.1"], "loss.real_label must be a number >= 0 and <= 1, got -0.1"),
    (["model.n_critic=0"], "model.n_critic must be a whole number >= 1, got 0"),
    (["model.n_critic=2.5"], "model.n_critic must be a whole number >= 1, got 2.5"),
    (["model.instance_noise=-0.1"], "model.instance_noise must be a number >= 0, got -0.1"),
    (["model=wgan", "model.clip=0"], "model.clip must be a number > 0, got 0"),
    (["model=wgan_gp", "model.gp_weight=-1"], "model.gp_weight must be a number >= 0, got -1"),
    (["model=ebgan", "model.margin=0"], "model.margin must be a number > 0, got 0"),
    (["model=infogan", "model.n_categories=0", "net.latent_dim=12"], "model.n_categories must be a whole number >= 1, got 0"),
    (["ema=maybe"], "ema must be true or false, got 'maybe'"),
    (["ema_decay=1"], "ema_decay must be a number > 0 and < 1, got 1"),
    (["ema_decay=0"], "ema_decay must be a number > 0 and < 1, got 0"),
    (["trainer.accelerator=tpu"], "trainer.accelerator must be one of cpu, gpu, cuda, mps, auto, got 'tpu'"),
    (["trainer.devices=0"], "trainer.devices must be a whole number >= 1, a list of device indices or auto, got 0"),
    (["trainer.log_every_n_steps=0"], "trainer.log_every_n_steps must be a whole number >= 1, got 0"),
    (["trainer.precision=8-mixed"], "trainer.precision must be one of"),
    (["dataset=digits", "dataset.size=0"], "dataset.size must be a whole number >= 1, got 0"),
    (["dataset=mnist", "dataset.split=valid"], "dataset.split=valid is not a split of TorchvisionImages; choose one of: train, test"),
    (["dataset=mnist", "dataset.name=NoSuchSet"], "dataset.name=NoSuchSet is not a torchvision data set"),
    (["dataset=image_folder"], r"dataset.root is not set"),
    (["dataset.download=sometimes"], None),  # a ring has no download setting: Hydra refuses the key
]


@pytest.mark.parametrize("overrides, message", [case for case in BAD_SETTINGS if case[1]], ids=lambda case: str(case)[:40])
def test_every_wrong_type_or_range_is_one_line_naming_key_value_and_rule(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        train(compose_config([*QUICK, *overrides], tmp_path / "run"))
    assert not (tmp_path / "run" / "results.json").exists()


def test_a_truncated_checkpoint_is_refused_in_one_line(tmp_path):
    train(compose_config([*QUICK, "dataset.n_samples=2048"], tmp_path / "run"))
    whole = (tmp_path / "run" / "checkpoints" / "last.ckpt").read_bytes()
    (tmp_path / "half.ckpt").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ConfigError, match="half.ckpt is not a readable checkpoint"):
        train(compose_config([*QUICK, "dataset.n_samples=2048", f"ckpt_path={tmp_path / 'half.ckpt'}"], tmp_path / "again"))


@pytest.mark.parametrize(
    "module, args, fragments",
    [
        ("zoo.train", ["dataset.batch_size=abc"], ["dataset.batch_size must be a whole number"]),
        ("zoo.train", ["foo=1"], ["unknown setting 'foo'", "iterations"]),
        ("zoo.train", ["seed=abc("], ["cannot parse the overrides"]),
        ("zoo.train", ["dataset.download=sometimes"], ["unknown setting 'dataset.download'", "sigma"]),
        ("zoo.train", ["loss=hinge", "loss.real_label=0.9"], ["unknown setting 'loss.real_label'", "d_loss"]),
        ("zoo.sample", [], ["Missing mandatory value: ckpt_path"]),
        ("zoo.sample", ["ckpt_path={ckpt}", "n=2.7"], ["n must be a positive whole number of samples, got 2.7"]),
        ("zoo.sample", ["ckpt_path={ckpt}", "device=cuda"], ["device=cuda but this machine has no CUDA device"]),
        ("zoo.sample", ["ckpt_path={ckpt}", "device=toaster"], ["device=toaster is not a device"]),
        ("zoo.sample", ["ckpt_path={ckpt}", "out={existing_png}"], ["exists: choose another out, or pass overwrite=true"]),
        ("zoo.sample", ["ckpt_path={ckpt}", "out={tmp}/a/b/c/x.txt"], [".npy or .png"]),
        ("zoo.eval", ["fake_dir={tmp}", "dataset=mnist", "scoring.kid_subset_size=0", "metrics=[kid]"], ["kid_subset_size must be a whole number >= 2, got 0"]),
        ("zoo.eval", ["fake_dir={tmp}", "dataset=mnist", "out={existing}"], ["exists: choose another out, or pass overwrite=true"]),
        ("zoo.eval", ["ckpt_path={ckpt}"], ["generates points, not images"]),
    ],
)
def test_command_line_refusals_of_every_tool_are_one_line(tmp_path, ring_checkpoint, module, args, fragments):
    existing, existing_png = tmp_path / "results.json", tmp_path / "samples.png"
    existing.write_text("{}")
    existing_png.write_text("{}")
    args = [a.format(ckpt=ring_checkpoint, existing=existing, existing_png=existing_png, tmp=tmp_path) for a in args]
    done = run_cli(module, *args, f"hydra.run.dir={tmp_path}/run" if module == "zoo.train" else "verbose=false" if module == "zoo.eval" else "seed=0")
    assert_one_line_refusal(done, *fragments)
    assert existing.read_text() == existing_png.read_text() == "{}"  # nothing already written is replaced


def test_a_run_dir_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "run").write_text("a file")
    done = run_cli("zoo.train", "iterations=2", f"hydra.run.dir={tmp_path}/run")
    assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr


@pytest.fixture(scope="module")
def ring_checkpoint(tmp_path_factory):
    run = tmp_path_factory.mktemp("ring")
    train(compose_config([*QUICK, "dataset.n_samples=2048"], run))
    return run / "checkpoints" / "last.ckpt"
