"""The repo lock every editing service call holds: one mom run per repository.

The lock is `edits/lock.RepoLock` (an flock on `.mom/lock`); a second
run in this or another process is refused with LockedError (exit 2). The milestone runner
takes it itself, so its service call does not.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def repo_lock(repo: Path, purpose: str, *, enabled: bool = True) -> Iterator[None]:
    if not enabled:
        yield
        return
    from mom_cli.edits.lock import RepoLock

    with RepoLock(repo, purpose):
        yield
