"""Draw samples from a trained generator: ``zoo-sample ckpt_path=<ckpt> n=2500 out=<file>``.

``out`` ending in .npy gets the raw samples in data space: (n, 2) floats for 2-D data, (n, C, H, W)
in [-1, 1] for images. ``out`` ending in .png gets a picture: a scatter plot over the true modes for
2-D data (with the mode metrics printed), an image grid for images.

The checkpoint carries its run's resolved config (zoo.checkpoint), so it is enough to rebuild the
model wherever it has been moved.
"""

from zoo.cli import command

main = command("sample", "zoo.jobs.sample")

if __name__ == "__main__":
    main()
