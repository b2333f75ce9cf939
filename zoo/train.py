"""Train one GAN run: ``python -m zoo.train [group=option ...] [key=value ...]``.

``zoo.jobs.train.train(cfg)`` is the whole job and returns the run's results; ``main`` composes the
config from conf/, turns bad input into one line and a non-zero exit, and imports the job only
then (zoo.cli.command), so ``--help`` answers without importing torch.

A finished run leaves in its run dir: results.json (flat metric -> number, "status": "ok"),
checkpoints/last.ckpt (also written every ``checkpoint_every`` iterations), samples/*.png and the
resolved config in .hydra/. Other endings are results too, so a sweep goes on past them:
- "diverged": a loss or the weights turned non-finite (results say at which iteration, in which
  network and term; last.ckpt is the last good state);
- "interrupted": SIGTERM or SIGINT; the run finished its iteration and saved last.ckpt, and the
  command exits with 128 + the signal's number after saying how to resume;
- "failed": the run trained no step at all (e.g. a checkpoint already past the budget).
A number that is not finite is written as null, named under "nonfinite", so the JSON stays valid.
"""

from zoo.cli import command

main = command("train", "zoo.jobs.train")

if __name__ == "__main__":
    main()
