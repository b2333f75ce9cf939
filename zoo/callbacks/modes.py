"""Mode coverage of the 2-D mixtures during training, with scatter plots."""

from zoo.callbacks.loggers import log_picture
from zoo.callbacks.periodic import PeriodicEvaluation
from zoo.data.mixtures import GaussianMixture
from zoo.metrics.modes import mode_metrics
from zoo.plots import scatter_over_modes


class ModeCoverage(PeriodicEvaluation):
    """Mode metrics (zoo.metrics.modes) of ``n_samples`` generator samples, with a scatter plot
    over the true modes each time: val/modes (captured), val/modes_total (the mixture's), val/hq_pct
    and val/reverse_kl. Scores the mixtures of Gaussians (zoo.data.mixtures), whose modes are
    known; idle on other data.

    The same noise (``seed``) is used at every evaluation, so the curve tracks the generator and
    not the draw.
    """

    def __init__(self, dirpath: str, every_n_iters: int = 500, n_samples: int = 2500, seed: int = 1234):
        super().__init__(dirpath, every_n_iters)
        self.n_samples, self.seed = n_samples, seed

    def compute(self, trainer, pl_module) -> dict[str, float]:
        mixture = trainer.datamodule
        if not isinstance(mixture, GaussianMixture):
            return {}
        iteration = pl_module.iteration
        samples = pl_module.sample(self.n_samples, seed=self.seed)
        scores = mode_metrics(samples, mixture.modes, mixture.sigma) | {"modes_total": len(mixture.modes)}
        title = f"iteration {iteration}: {scores['modes']}/{len(mixture.modes)} modes, {scores['hq_pct']:.1f}% HQ"
        picture = scatter_over_modes(samples, mixture.modes, mixture.sigma, self.dirpath / f"iter_{iteration:06d}.png", title)
        log_picture(trainer, "scatter", picture)
        return {f"val/{name}": float(value) for name, value in scores.items()}
