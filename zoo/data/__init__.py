"""Data modules. Every data set here fits in memory and is batched on the training device."""

from zoo.data.base import InMemoryDataModule, TensorBatches

__all__ = ["InMemoryDataModule", "TensorBatches"]
