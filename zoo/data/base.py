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
    """Shuffled mini-batches of ``data``, reshuffled every pass, handed out ``group`` at a time.

    Under DDP every rank draws the same permutation (same seed, same epoch) and takes its own
    stride of it, so the ranks see disjoint batches without a sampler. The last incomplete batch is
    dropped, so batch statistics (batch norm, the discriminator's real/fake balance) never see a
    runt batch; so is an incomplete last group.

    ``group`` > 1 joins that many consecutive batches into one item of ``group * batch_size`` rows
    (a training step's real batches, GANModule.batches_per_step): the same batches in the same
    order as ``group=1`` when the batches of a pass divide into groups.

    Resumable: the permutation of pass ``epoch`` is a function of (seed, epoch), and the position
    is the number of batches the trainer has *consumed* (``consumed()``, called by the data
    module's ``on_before_batch_transfer`` hook), not the number fetched: Lightning fetches one item
    ahead. ``state_dict``/``load_state_dict`` (Lightning saves them in every checkpoint) make a
    resumed run continue with the very batch the interrupted one would have drawn next; the position
    counts batches, not groups, so a run may resume with another ``group``.
    """

    def __init__(self, data: Tensor, batch_size: int, seed: int = 0, rank: int = 0, world_size: int = 1, group: int = 1):
        self.data, self.batch_size, self.seed, self.group = data, batch_size, seed, group
        self.rank, self.world_size = rank, world_size
        self.epoch = self.position = 0  # the next batch the trainer will consume

    @property
    def batches_per_pass(self) -> int:
        """Whole groups' worth of batches in one pass over this rank's share of the data."""
        batches = len(self.data) // (self.batch_size * self.world_size)
        return batches - batches % self.group

    def __len__(self) -> int:
        return self.batches_per_pass // self.group

    def __iter__(self):
        epoch, start, rows = self.epoch, self.position, self.batch_size * self.group
        generator = torch.Generator(device=self.data.device).manual_seed(self.seed + epoch)
        order = torch.randperm(len(self.data), device=self.data.device, generator=generator)[self.rank :: self.world_size]
        for i in range(start, self.batches_per_pass, self.group):
            yield self.data[order[i * self.batch_size : i * self.batch_size + rows]]

    def consumed(self) -> None:
        """One item went to a training step: advance the resumable position."""
        self.position += self.group
        if self.position >= self.batches_per_pass:
            self.epoch, self.position = self.epoch + 1, 0

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.epoch, self.position = state["epoch"], state["position"]


class InMemoryDataModule(L.LightningDataModule):
    """Base of the zoo's data modules: subclasses implement ``load()``, returning the training
    tensor (N, *shape) in data space, with images scaled to [-1, 1], and optionally labels.

    Each says what it is, so that nets, checks and scorers read it instead of guessing:
    - ``kind``: "points" (vectors, unbounded) or "images" ((C, H, W) in [-1, 1]);
    - ``shape``: one example's shape, known from the settings before any file is read;
    - ``splits``: the values its ``split`` argument takes (empty: one set, no splits);
    - ``labels``: the class of each example after ``setup()``, or None;
    - ``identity_includes_root``: whether where the files live is part of what the data is (an
      image folder) or not (every copy of MNIST is MNIST), for cache keys;
    - ``channel_dataset``: for images whose channels are each an image of another data set
      (Stacked MNIST), that data set's torchvision name, whose classifier reads each channel.
    """

    kind: str = "images"
    splits: tuple[str, ...] = ()
    identity_includes_root = False
    channel_dataset: str | None = None

    def __init__(self, batch_size: int = 64, seed: int = 0):
        super().__init__()
        self.batch_size, self.seed = batch_size, seed
        self.data: Tensor | None = None
        self.labels: Tensor | None = None

    def load(self) -> tuple[Tensor, Tensor | None]:
        raise NotImplementedError

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one example, e.g. (2,) or (1, 28, 28), from the settings alone."""
        raise NotImplementedError

    def setup(self, stage: str | None = None) -> None:
        if self.data is None:
            self.data, self.labels = self.load()
            if tuple(self.data.shape[1:]) != tuple(self.shape):  # a subclass whose declared shape lies
                raise RuntimeError(f"{type(self).__name__} declares shape {self.shape} but loaded {tuple(self.data.shape[1:])}")

    def train_dataloader(self) -> TensorBatches:
        self.setup()
        device, rank, world_size, group = torch.device("cpu"), 0, 1, 1
        if self.trainer is not None:
            device, rank, world_size = self.trainer.strategy.root_device, self.trainer.global_rank, self.trainer.world_size
            group = self.trainer.lightning_module.batches_per_step  # real batches per training step
        data = self.data
        if self.trainer is not None and self.trainer.overfit_batches:  # debug=overfit: a fixed few batches
            n = self.trainer.overfit_batches
            n = n if isinstance(n, int) else max(1, int(n * len(data) // self.batch_size))
            data = data[: n * self.batch_size * world_size]
        self.batches = TensorBatches(data.to(device), self.batch_size, self.seed, rank, world_size, group)
        return self.batches

    def on_before_batch_transfer(self, batch: Tensor, dataloader_idx: int) -> Tensor:
        """Called by the trainer once per batch it consumes (after any prefetching)."""
        if self.trainer is not None and self.trainer.training:
            self.batches.consumed()
        return batch
