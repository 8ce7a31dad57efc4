"""One index writer at a time: an advisory lock on `<state>/index.lock`.

A first `mom context` leaves a detached child building the index; a `mom index` or
`mom context` started meanwhile must neither rebuild the half-written file nor race it.
The kernel drops the lock when its holder dies, so a killed build never wedges the repo.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = "index.lock"


@contextlib.contextmanager
def index_lock(state_dir: Path) -> Iterator[None]:
    """Hold the writer lock (waiting for another writer to finish)."""
    fd = os.open(state_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def is_locked(state_dir: Path) -> bool:
    """Whether another process holds the writer lock right now."""
    path = state_dir / LOCK_NAME
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
