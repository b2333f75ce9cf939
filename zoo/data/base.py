"""In-memory data modules: one tensor on the training device, mini-batches cut by index.

Every data set of the zoo (the 2-D mixtures, 8x8 digits, MNIST-size images) fits in memory. Moving
it to the device once and slicing random index batches there costs nothing per step, whereas a
DataLoader with worker processes would copy and collate every batch on the CPU. Hand-written
because no library iterable batches a device tensor by index; it is a dozen lines.
"""

import lightning as L
import torch
from torch import Tensor


class TensorBatches:
    """Shuffled mini-batches of ``data``, reshuffled every pass.

    Under DDP every rank draws the same permutation (same seed, same epoch) and takes its own
    stride of it, so the ranks see disjoint batches without a sampler. The last incomplete batch is
    dropped, so batch statistics (batch norm, the discriminator's real/fake balance) never see a
    runt batch.
    """

    def __init__(self, data: Tensor, batch_size: int, seed: int = 0, rank: int = 0, world_size: int = 1):
        self.data, self.batch_size, self.seed = data, batch_size, seed
        self.rank, self.world_size = rank, world_size
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.data) // (self.batch_size * self.world_size)

    def __iter__(self):
        generator = torch.Generator(device=self.data.device).manual_seed(self.seed + self.epoch)
        self.epoch += 1
        order = torch.randperm(len(self.data), device=self.data.device, generator=generator)[self.rank :: self.world_size]
        for i in range(len(self)):
            yield self.data[order[i * self.batch_size : (i + 1) * self.batch_size]]


class InMemoryDataModule(L.LightningDataModule):
    """Base of the zoo's data modules: subclasses implement ``load()``, returning the training
    tensor (N, *shape) in data space, with images scaled to [-1, 1], and optionally labels.
    """

    def __init__(self, batch_size: int = 64, seed: int = 0):
        super().__init__()
        self.batch_size, self.seed = batch_size, seed
        self.data: Tensor | None = None
        self.labels: Tensor | None = None

    def load(self) -> tuple[Tensor, Tensor | None]:
        raise NotImplementedError

    def setup(self, stage: str | None = None) -> None:
        if self.data is None:
            self.data, self.labels = self.load()

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one example, e.g. (2,) or (1, 28, 28)."""
        self.setup()
        return tuple(self.data.shape[1:])

    def train_dataloader(self) -> TensorBatches:
        self.setup()
        device, rank, world_size = torch.device("cpu"), 0, 1
        if self.trainer is not None:
            device, rank, world_size = self.trainer.strategy.root_device, self.trainer.global_rank, self.trainer.world_size
        return TensorBatches(self.data.to(device), self.batch_size, self.seed, rank, world_size)
