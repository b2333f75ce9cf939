"""Lightning callbacks that watch a GAN train, one concern per module: pictures (SampleGrid), mode
coverage of the 2-D mixtures (ModeCoverage), a variant's own scores (VariantEvaluation), FID/KID/IS
(FidelityEvaluation), the EMA generator (EMAGenerator), the config in checkpoints (StoreConfig),
last.ckpt during training (PeriodicCheckpoint), a clean stop on SIGTERM/SIGINT (GracefulStop), the fp16 loss
scale (LossScaleWatch), learning rates decaying over the budget (LearningRateDecay), one W&B run per job (WandbRun; zoo.callbacks.wandb_run builds the loggers).

Callbacks that produce end-of-run numbers expose them as ``results`` (a flat dict); ``zoo.train``
collects those into results.json. The classes are re-exported here, so configs name them
``zoo.callbacks.<Class>``.
"""

from zoo.callbacks.checkpointing import PeriodicCheckpoint
from zoo.callbacks.config import StoreConfig
from zoo.callbacks.ema import EMAGenerator
from zoo.callbacks.fidelity import FidelityEvaluation
from zoo.callbacks.interrupt import GracefulStop
from zoo.callbacks.lr_decay import LearningRateDecay
from zoo.callbacks.modes import ModeCoverage
from zoo.callbacks.periodic import PeriodicEvaluation
from zoo.callbacks.precision import LossScaleWatch
from zoo.callbacks.pictures import SampleGrid
from zoo.callbacks.progress import IterationProgressBar
from zoo.callbacks.variant import VariantEvaluation
from zoo.callbacks.wandb_run import WandbRun

__all__ = [
    "EMAGenerator", "FidelityEvaluation", "GracefulStop", "IterationProgressBar", "LearningRateDecay", "LossScaleWatch", "ModeCoverage", "PeriodicCheckpoint", "PeriodicEvaluation", "SampleGrid",
    "StoreConfig", "VariantEvaluation", "WandbRun",
]
