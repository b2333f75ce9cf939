"""One way to write a file that readers only ever see whole: into a temporary file in the same
folder, flushed to disk, then renamed over the target (a rename within one filesystem is atomic).
Checkpoints, cached features, classifiers and counts all go through it."""

import os
from collections.abc import Callable
from pathlib import Path


def fsync(path: Path) -> None:
    """Flush a file (or a folder's entries) to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """``write(tmp)``, then ``tmp`` renamed to ``path``. On failure (a full disk, a kill) the
    previous ``path`` is left as it was, and the temporary file is removed where the process can."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        fsync(tmp)
        os.replace(tmp, path)
        fsync(path.parent)
    finally:
        if tmp.exists():
            tmp.unlink()
