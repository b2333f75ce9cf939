"""Put the final scatter plot of several runs side by side in one picture, for the docs.

    python benchmarks/gallery.py out=docs/img/ring8_variants.png <run dir> [<run dir> ...]

Each panel is the last samples/iter_*.png of a run, titled with the run's experiment preset.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from omegaconf import OmegaConf


def main() -> None:
    args = sys.argv[1:]
    out = Path(next(a.split("=", 1)[1] for a in args if a.startswith("out=")))
    runs = [Path(a) for a in args if not a.startswith("out=")]
    columns = min(4, len(runs))
    rows = (len(runs) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3.3 * rows), dpi=100, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, run in zip(axes.flat, runs):
        picture = sorted((run / "samples").glob("iter_*.png"))[-1]
        overrides = OmegaConf.load(run / ".hydra" / "overrides.yaml")
        name = next((o.split("=", 1)[1] for o in overrides if o.startswith("experiment=")), run.name)
        ax.imshow(plt.imread(picture))
        ax.set_title(name, fontsize=9)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
