"""Architectures as plain ``nn.Module``s: no losses, no optimizers, no training logic."""
