"""Pictures of samples: image grids (torchvision) and 2-D scatter plots over the true modes."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on training machines
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import Tensor
from torchvision.utils import make_grid


def image_grid(images: Tensor, nrow: int = 8) -> np.ndarray:
    """(n, C, H, W) images in [-1, 1] -> one (H, W, 3) uint8 grid.

    uint8, not float: loggers such as wandb render a float grid black.
    """
    grid = make_grid(images.detach().float().cpu(), nrow=nrow, normalize=True, value_range=(-1, 1), pad_value=1.0)
    return (grid.mul(255).round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()).copy()


def save_picture(picture: np.ndarray, path: Path) -> None:
    """Write an (H, W, 3) uint8 picture as PNG, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    plt.imsave(path, picture)


def save_image_grid(images: Tensor, path: Path, nrow: int = 8) -> np.ndarray:
    grid = image_grid(images, nrow)
    save_picture(grid, path)
    return grid


def scatter_over_modes(samples: Tensor, modes: Tensor, sigma: float, path: Path, title: str = "") -> np.ndarray:
    """Scatter (n, 2) samples over the true modes (each drawn with its 3-sigma high-quality circle).

    Saves a PNG at ``path`` and returns it as an (H, W, 3) uint8 array for the loggers.
    """
    samples, modes = samples.detach().float().cpu().numpy(), modes.float().cpu().numpy()
    # Frame the modes, widened (up to 4x) to show samples that strayed from them.
    mode_span = np.abs(modes).max() * 1.5 + 3 * sigma
    sample_span = np.quantile(np.abs(samples), 0.99) * 1.1 if np.isfinite(samples).all() else 0.0
    span = min(max(mode_span, sample_span), 4 * mode_span)
    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=100)
    ax.scatter(modes[:, 0], modes[:, 1], s=90, marker="o", facecolors="none", edgecolors="tab:red", lw=1.0, label="true modes", zorder=1)
    for mode in modes:  # the high-quality region of each mode
        ax.add_patch(plt.Circle(mode, 3 * sigma, fill=False, color="tab:red", lw=0.6, zorder=1))
    ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.4, color="tab:blue", label="samples", rasterized=True, zorder=2)
    ax.set(xlim=(-span, span), ylim=(-span, span), aspect="equal", title=title)
    ax.legend(loc="upper right", fontsize=7, markerscale=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    fig.canvas.draw()
    picture = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return picture
