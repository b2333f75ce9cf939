"""Pictures of samples: image grids (torchvision) and 2-D scatter plots over the true modes."""

import textwrap
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


def table_chart(
    title: str,
    labels: list[str],
    zoo: list[tuple[float, float] | None],
    paper: list[tuple[float, float | None] | None],
    pictures: list[Path | None],
    path: Path,
) -> None:
    """A paper table's headline column as a bar chart (the zoo's mean +- std as bars, the published
    value as a black diamond with its spread), over one picture per row (a run's final samples)."""
    shown = [(label, picture) for label, picture in zip(labels, pictures) if picture is not None]
    columns = max(1, min(len(shown), 6))
    picture_rows = -(-len(shown) // columns)
    figure = plt.figure(figsize=(max(9.0, 1.1 * len(labels) + 3), 3.2 + 2.2 * picture_rows))
    grid = figure.add_gridspec(1 + picture_rows, columns, height_ratios=[3.2] + [2.2] * picture_rows)
    axes = figure.add_subplot(grid[0, :])
    x = np.arange(len(labels))
    means = [bar[0] if bar else np.nan for bar in zoo]
    axes.bar(x, means, yerr=[bar[1] if bar else 0 for bar in zoo], color="tab:blue", alpha=0.8, capsize=3, label="zoo (mean +- std)")
    marked = [(i, value) for i, value in enumerate(paper) if value is not None]
    if marked:
        axes.errorbar(
            [i for i, _ in marked], [v[0] for _, v in marked], yerr=[v[1] or 0 for _, v in marked],
            fmt="D", color="black", capsize=3, label="paper",
        )
    axes.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
    axes.set_title(textwrap.fill(title, 90), fontsize=9)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    for index, (label, picture) in enumerate(shown):
        cell = figure.add_subplot(grid[1 + index // columns, index % columns])
        cell.imshow(plt.imread(picture))
        cell.set_title(label, fontsize=8)
        cell.axis("off")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
