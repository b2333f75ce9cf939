"""GANModule: the alternating-update training loop every variant shares.

Manual optimization the Lightning way: each training step makes one discriminator update on its
own real batch, and every ``n_critic``-th step also one generator update. Optimizers are toggled
(the other network's parameters stop requiring gradients) and every backward goes through
``manual_backward``, so precision plugins and DDP see it.

The networks and optimizer factories are injected (``_partial_: true`` in the config); the module
never builds anything from a flag. A variant subclasses this once and overrides ``d_step`` and
``g_step`` (and ``configure_optimizers`` when it has more networks).

Budget: Lightning's ``global_step`` counts every optimizer step, here ``n_critic + 1`` per
generator iteration. Users budget in generator iterations; ``steps_per_iteration`` converts.
"""

from collections.abc import Callable

import lightning as L
import torch
from torch import Tensor, nn
from torch.optim import Optimizer

OptimizerFactory = Callable[..., Optimizer]


class GANModule(L.LightningModule):
    """Generator G, discriminator D, and their alternating updates.

    Args:
        generator: maps (n, latent_dim) noise to samples; must expose ``latent_dim``.
        discriminator: maps samples to (n,) logits or critic values.
        g_optimizer, d_optimizer: factories taking an iterable of parameters.
        n_critic: discriminator updates per generator update (WGAN uses 5), each on its own batch.
        n_fixed: size of the fixed noise batch that every sample picture is drawn from, so
            pictures from successive epochs show the same latent points.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        g_optimizer: OptimizerFactory,
        d_optimizer: OptimizerFactory,
        n_critic: int = 1,
        n_fixed: int = 64,
    ):
        super().__init__()
        self.automatic_optimization = False
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.n_critic = n_critic
        self.latent_dim = generator.latent_dim
        fixed = torch.randn(n_fixed, self.latent_dim, generator=torch.Generator().manual_seed(0))
        self.register_buffer("fixed_noise", fixed)

    # --- budget -------------------------------------------------------------------------------

    @property
    def steps_per_iteration(self) -> int:
        """Optimizer steps per generator iteration (what Lightning's max_steps counts)."""
        return self.n_critic + 1

    @property
    def iteration(self) -> int:
        """Generator iterations completed so far."""
        return self.global_step // self.steps_per_iteration

    @property
    def progress(self) -> float:
        """Fraction of the training budget done, in [0, 1], for annealed schedules."""
        trainer = self.trainer
        if trainer.max_steps > 0:
            total = trainer.max_steps
        else:  # budget in epochs: each batch is one D step, and every n_critic-th also a G step
            total = trainer.max_epochs * trainer.num_training_batches * self.steps_per_iteration / self.n_critic
        return min(1.0, self.global_step / max(total, 1))

    # --- sampling -----------------------------------------------------------------------------

    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Latent noise z ~ N(0, I), on this module's device."""
        return torch.randn(n, self.latent_dim, device=self.device, generator=generator)

    def forward(self, z: Tensor) -> Tensor:
        return self.generator(z)

    @torch.no_grad()
    def sample(self, n: int | None = None, z: Tensor | None = None, batch_size: int = 1024, seed: int | None = None) -> Tensor:
        """Generator samples in data space, in eval mode (batch norm uses its running stats).

        Give either ``n`` (fresh noise, reproducible with ``seed``) or the noise ``z`` itself.
        """
        if z is None:
            generator = None if seed is None else torch.Generator(device=self.device).manual_seed(seed)
            z = self.noise(n, generator)
        was_training = self.generator.training
        self.generator.eval()
        try:
            return torch.cat([self.generator(chunk) for chunk in z.to(self.device).split(batch_size)])
        finally:
            self.generator.train(was_training)

    def evaluate(self, datamodule, pictures: dict) -> dict[str, float]:
        """The variant's own scores on ``datamodule`` (its held data and labels), run every
        ``eval_every`` iterations and at the end by zoo.callbacks.VariantEvaluation. Add
        (H, W, 3) uint8 pictures to ``pictures`` by name. The plain GAN has none of its own."""
        return {}

    # --- training -----------------------------------------------------------------------------

    def on_train_start(self) -> None:
        """Under DDP, give each rank its own noise stream. ``seed_everything`` seeds every rank
        alike, so without this all ranks would draw the same z and average the gradients of
        identical fake batches. Rank 0 keeps the single-process stream."""
        if self.trainer.world_size > 1:
            torch.manual_seed(torch.initial_seed() + 1_000_003 * self.global_rank)

    def configure_optimizers(self) -> list[Optimizer]:
        return [self.d_optimizer(self.discriminator.parameters()), self.g_optimizer(self.generator.parameters())]

    def d_step(self, real: Tensor) -> dict[str, Tensor]:
        """Discriminator objective on one real batch: {"d_loss": loss to minimise, other terms}."""
        raise NotImplementedError

    def g_step(self, real: Tensor) -> dict[str, Tensor]:
        """Generator objective: {"g_loss": loss to minimise, other terms}. ``real`` sets the batch
        size, and is there for variants whose generator objective looks at data."""
        raise NotImplementedError

    def update(self, optimizer, step: Callable[[Tensor], dict[str, Tensor]], batch: Tensor, key: str) -> dict[str, Tensor]:
        """One toggled optimizer step on ``step(batch)[key]``; returns the step's terms, detached."""
        with self.toggled_optimizer(optimizer):
            terms = step(batch)
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(terms[key])
            optimizer.step()
        return {name: value.detach() for name, value in terms.items()}

    def training_step(self, batch: Tensor, batch_idx: int) -> None:
        d_optimizer, g_optimizer = self.optimizers()
        terms = self.update(d_optimizer, self.d_step, batch, "d_loss")
        # global_step already counts this D step: a full cycle is n_critic D steps, then G.
        if self.global_step % self.steps_per_iteration == self.n_critic:
            terms |= self.update(g_optimizer, self.g_step, batch, "g_loss")
        self.log_terms(terms)

    def log_terms(self, terms: dict[str, Tensor]) -> None:
        """Log the step's terms as train/<name>, and stop a run whose terms turned non-finite.

        Only on logging steps (every trainer.log_every_n_steps): Lightning keeps only those
        values anyway, ``self.log`` costs about a millisecond per metric (several times a small
        net's step), and the finiteness check waits for the device.
        """
        if not self.trainer._logger_connector.should_update_logs:
            return
        self.log_dict({f"train/{name}": value for name, value in terms.items()})
        if not torch.stack([value.float() for value in terms.values()]).isfinite().all():
            name, value = next((n, v) for n, v in terms.items() if not v.isfinite())
            raise FloatingPointError(f"train/{name} became {value.item()} at iteration {self.iteration}")
