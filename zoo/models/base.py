"""GANModule: the alternating-update training loop every variant shares.

Manual optimization the Lightning way: optimizers are toggled (the other networks' parameters stop
requiring gradients) and every backward goes through ``manual_backward``, so precision plugins and
DDP see it.

A variant declares its updates (``updates``: which network each one moves, with which optimizer,
by which step function, minimising which term), and the base derives the rest from that list: the
optimizers (``configure_optimizers``), the order of the steps in a batch (``training_step``) and
the budget (``steps_per_iteration``). Each training step runs every critic update once on its own
real batch; every ``n_critic``-th step also runs the other updates, in the declared order. So a
variant with a third network writes only its step function and one more ``Update``.

The networks and optimizer factories are injected (``_partial_: true`` in the config); the module
never builds anything from a flag.

Budget: Lightning's ``global_step`` counts every optimizer step, here ``steps_per_iteration`` per
generator iteration. Users budget in generator iterations; ``iteration`` converts back.

A training step may carry several real batches (``batches_per_step``: ``iterations_per_step``
whole generator iterations, set by zoo.jobs.train where it changes nothing the run computes), so
that Lightning's fixed cost per step is paid once for all of them: on ring8's MLP it is about a
seventh of an iteration (docs/benchmarks-history.md).
"""

from collections.abc import Callable
from dataclasses import dataclass

import lightning as L
import numpy as np
import torch
from torch import Tensor, nn
from torch.optim import Optimizer

from zoo import rng
from zoo.errors import ConfigError, Divergence
from zoo.metrics.names import ITERATION
from zoo.models.sampling import eval_mode, generate

OptimizerFactory = Callable[..., Optimizer]
Terms = dict[str, Tensor]


@dataclass(frozen=True)
class Update:
    """One optimizer step, as a variant declares it.

    Args:
        network: the attribute holding the network this step moves (and only it).
        optimizer: the attribute holding that network's optimizer factory.
        step: the method computing the step's terms from a real batch.
        loss: the key of the term the step minimises.
        critic: repeated ``n_critic`` times per generator iteration, each on its own batch.
        after: a method called after the optimizer step (WGAN's weight clipping), or None.
    """

    network: str
    optimizer: str
    step: str
    loss: str
    critic: bool = False
    after: str | None = None


class GANModule(L.LightningModule):
    """Generator G, discriminator D, and their alternating updates.

    Args:
        generator: maps (n, latent_dim) noise to samples; must expose ``latent_dim``.
        discriminator: maps samples to (n,) logits or critic values.
        g_optimizer, d_optimizer: factories taking an iterable of parameters.
        n_critic: discriminator updates per generator update (WGAN uses 5), each on its own batch.
        n_fixed: size of the fixed noise batch that every sample picture is drawn from, so
            pictures from successive epochs show the same latent points.
        pack: PacGAN's m (Lin et al. 2018): D, built with the same ``pack``, judges m samples at once.
    """

    updates: tuple[Update, ...] = (
        Update("discriminator", "d_optimizer", "d_step", "d_loss", critic=True),
        Update("generator", "g_optimizer", "g_step", "g_loss"),
    )
    packable = True  # False where the variant reads D per sample (a Q head, D's features, an autoencoder)

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        g_optimizer: OptimizerFactory,
        d_optimizer: OptimizerFactory,
        n_critic: int = 1,
        n_fixed: int = 64,
        pack: int = 1,
    ):
        super().__init__()
        if pack > 1 and not self.packable:
            raise ConfigError(f"model.pack={pack}: {type(self).__name__} reads its discriminator sample by sample, so it cannot pack; packing works with gan (every loss), wgan, wgan_gp, sngan and bigan")
        self.pack = pack
        self.automatic_optimization = False
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.n_critic = n_critic
        self._critics = sum(update.critic for update in self.updates)  # updates repeated n_critic times
        self.latent_dim = generator.latent_dim
        self.last_terms: dict[str, float] = {}  # the terms of the last logging step, as numbers
        self.steps_at_start: int | None = None  # global_step when training (re)started
        self.iterations_per_step = 1  # more only as zoo.jobs.train.iterations_per_step allows
        self.register_buffer("fixed_noise", torch.randn(n_fixed, self.latent_dim, generator=torch.Generator().manual_seed(0)))
        # Divergence watch, on the device so that no step waits for it: whether every loss so far was
        # finite, and how many optimizer steps were taken while it was (so the first non-finite one
        # is known). Read by check_finite() at logging steps and before checkpoints.
        self.register_buffer("_all_finite", torch.ones((), dtype=torch.bool), persistent=False)
        self.register_buffer("_finite_steps", torch.zeros((), dtype=torch.long), persistent=False)

    # --- budget -------------------------------------------------------------------------------

    @property
    def steps_per_iteration(self) -> int:
        """Optimizer steps per generator iteration (what Lightning's max_steps counts)."""
        return self.n_critic * self._critics + len(self.updates) - self._critics

    @property
    def batches_per_step(self) -> int:
        """Real batches in one training step: one critic pass each; ``iterations_per_step`` whole
        iterations of ``n_critic`` passes, or a single pass (the step of ``iterations_per_step=1``)."""
        return self.iterations_per_step * self.n_critic if self.iterations_per_step > 1 else 1

    @property
    def iteration(self) -> int:
        """Generator iterations completed so far."""
        return self.global_step // self.steps_per_iteration

    @property
    def between_iterations(self) -> bool:
        """Whether the optimizer steps so far make whole generator iterations (none is half done):
        where a checkpoint or a stop leaves a state the uninterrupted run also passes through."""
        return self.global_step % self.steps_per_iteration == 0

    @property
    def budget_steps(self) -> float:
        """Optimizer steps in the whole budget: max_steps, or those of max_epochs, where every
        n_critic-th real batch ends an iteration (inf where an epoch's length is unknown)."""
        trainer = self.trainer
        return trainer.max_steps if trainer.max_steps > 0 else trainer.max_epochs * trainer.num_training_batches * self.batches_per_step * self.steps_per_iteration / self.n_critic

    @property
    def progress(self) -> float:
        """Fraction of the training budget done, in [0, 1], for annealed schedules."""
        return min(1.0, self.global_step / max(self.budget_steps, 1))

    # --- sampling and evaluation --------------------------------------------------------------

    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """Latent noise z ~ N(0, I), on this module's device."""
        return torch.randn(n, self.latent_dim, device=self.device, generator=generator)

    def forward(self, z: Tensor) -> Tensor:
        return self.generator(z)

    def sample(self, n: int | None = None, z: Tensor | None = None, batch_size: int = 1024, seed: int | None = None) -> Tensor:
        """Generator samples in data space, in eval mode (batch norm uses its running stats), of
        ``n`` fresh noise vectors (reproducible with ``seed``) or of the noise ``z`` itself."""
        if z is None:
            rng = None if seed is None else torch.Generator(device=self.device).manual_seed(seed)
            z = self.noise(n, rng)
        return torch.cat(list(generate(self.generator, z.to(self.device), batch_size)))

    def evaluating(self):
        """``with self.evaluating():`` the whole module in eval mode and without autograd."""
        return eval_mode(self)

    def categories_of(self, z: Tensor) -> Tensor | None:
        """The categorical code each row of the noise ``z`` carries (InfoGAN), or None."""
        return None

    def evaluate(self, datamodule) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        """The variant's own scores on ``datamodule`` (its held data and labels) and its own
        pictures ((H, W, 3) uint8, by name), run every ``eval_every`` iterations and at the end by
        the VariantEvaluation callback. The plain GAN has none of either."""
        return {}, {}

    # --- training -----------------------------------------------------------------------------

    def on_train_start(self) -> None:
        """Under DDP, give each rank its own noise stream. ``seed_everything`` seeds every rank
        alike, so without this all ranks would draw the same z and average the gradients of
        identical fake batches. Rank 0 keeps the single-process stream."""
        if self.trainer.world_size > 1:
            torch.manual_seed(torch.initial_seed() + 1_000_003 * self.global_rank)
        self.steps_at_start = self.global_step  # the divergence watch counts steps from here

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        """Store the random number generators' states (zoo.rng): Lightning restores optimizers,
        counters and, through the data module's batches, the data order, but not these."""
        checkpoint["rng_states"] = rng.capture()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if "rng_states" in checkpoint:  # a checkpoint from before the zoo stored them resumes close, not exact
            rng.restore(checkpoint["rng_states"])

    def configure_optimizers(self) -> list[Optimizer]:
        """One optimizer per declared update, in the declared order."""
        return [getattr(self, update.optimizer)(getattr(self, update.network).parameters()) for update in self.updates]

    def d_step(self, real: Tensor) -> Terms:
        """Discriminator objective on one real batch: {"d_loss": loss to minimise, other terms}."""
        raise NotImplementedError

    def g_step(self, real: Tensor) -> Terms:
        """Generator objective: {"g_loss": loss to minimise, other terms}. ``real`` sets the batch
        size, and is there for variants whose generator objective looks at data."""
        raise NotImplementedError

    def update(self, optimizer, update: Update, batch: Tensor) -> Terms:
        """One toggled optimizer step on ``update``'s loss; returns the step's terms, detached."""
        with self.toggled_optimizer(optimizer):
            terms = getattr(self, update.step)(batch)
            optimizer.zero_grad(set_to_none=True)
            # Backward outside autocast: Lightning runs the step inside it, and on CPU the backward
            # of a double-backward graph (the gradient penalty) would otherwise run in bf16.
            with torch.autocast(self.device.type, enabled=False):
                self.manual_backward(terms[update.loss])
            optimizer.step()
        if update.after is not None:
            getattr(self, update.after)()
        self.watch(update, terms[update.loss].detach())
        return {name: value.detach() for name, value in terms.items()}

    def watch(self, update: Update, loss: Tensor) -> None:
        """Note, without waiting for the device, whether ``update``'s loss is finite (three tiny
        device ops). A non-finite gradient makes the weights non-finite, and so the next loss."""
        self._all_finite.logical_and_(loss.isfinite())
        self._finite_steps.add_(self._all_finite)

    def update_at(self, step: int) -> Update:
        """The declared update that optimizer step ``step`` (a global step) ran."""
        order = [u for batch in range(self.n_critic) for u in self.updates if u.critic or batch == self.n_critic - 1]
        return order[step % self.steps_per_iteration]

    def check_finite(self) -> None:
        """Raise ``Divergence`` (iteration, network, term) if a loss has turned non-finite since
        training began, or a network's weights are non-finite. One wait for the device: called at
        logging steps and before every checkpoint write, never at each step."""
        finite = bool(self._all_finite.item())
        if self.trainer.world_size > 1:  # a rank that stopped alone would leave the others waiting forever
            finite = self.trainer.strategy.reduce_boolean_decision(finite, all=True)
        if not finite:
            step = (self.steps_at_start or 0) + int(self._finite_steps)
            update = self.update_at(step)
            raise Divergence(step // self.steps_per_iteration, update.network, f"train/{update.loss}")
        for update in self.updates:
            weights = [parameter.detach() for parameter in getattr(self, update.network).parameters()]
            if weights and not torch.nn.utils.get_total_norm(weights).isfinite():
                raise Divergence(self.iteration, update.network, "the weights")

    def ends_iteration(self) -> bool:
        """Whether the coming batch is the last critic pass of its generator iteration, the one
        that also runs the other updates. Derived from ``global_step``, so a resumed run agrees."""
        if self._critics == 0:
            return True
        return (self.global_step % self.steps_per_iteration) // self._critics == self.n_critic - 1

    def training_step(self, batch: Tensor, batch_idx: int) -> None:
        """A critic pass on each of the step's ``batches_per_step`` real batches, in order."""
        optimizers = self.optimizers()
        for real in batch.chunk(self.batches_per_step):
            self.critic_pass(real, optimizers)

    def critic_pass(self, real: Tensor, optimizers: list) -> None:
        """The critic updates on ``real``; at the last pass of an iteration, the others too."""
        ends_iteration = self.ends_iteration()
        terms: Terms = {}
        for update, optimizer in zip(self.updates, optimizers):
            if update.critic or ends_iteration:
                terms |= self.update(optimizer, update, real)
        if ends_iteration:
            self.log_terms(terms)

    def last_terms_short(self) -> dict[str, str]:
        """The last logged terms, rounded, for a progress bar."""
        return {name.removeprefix("train/"): f"{value:.3g}" for name, value in self.last_terms.items()}

    @property
    def at_logging_iteration(self) -> bool:
        """Whether this is every ``trainer.log_every_n_steps``-th generator iteration, or the last."""
        return not self.iteration % self.trainer.log_every_n_steps or 0 < self.trainer.max_steps <= self.global_step

    def log_terms(self, terms: Terms) -> None:
        """At logging iterations, stop a run that diverged (``check_finite``) and send the terms to
        every logger as train/<name>, beside trainer/iteration (``ITERATION``). Straight to the
        loggers, not through ``self.log``, which costs about a millisecond per metric and step to keep
        values written every few steps; the check and the values are the one wait for the device."""
        trainer = self.trainer
        if not self.at_logging_iteration:
            return
        self.check_finite()
        values = torch.stack([value.float() for value in terms.values()]).tolist()
        self.last_terms = {f"train/{name}": value for name, value in zip(terms, values)}
        for logger in trainer.loggers if trainer.is_global_zero else []:
            logger.log_metrics({**self.last_terms, ITERATION: self.iteration}, step=self.global_step)
