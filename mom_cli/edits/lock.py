"""One editing mom process per repository: an advisory flock on `.mom/lock`.

Every command that edits the repo holds it: fix-build, run, milestone, undo, and the
TUI's runs. A second one exits at once (LockedError, exit code 2) naming the holder.

flock is released by the kernel when the holder dies (even by kill -9), so a lock can
never go stale; the pid written inside is only there to name the holder in the message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from mom_cli.errors import LockedError
from mom_cli.paths import repo_state_dir

LOCK_NAME = "lock"


class RepoLock:
    """`with RepoLock(repo, "milestone 3"):` - raises LockedError if another process holds it."""

    def __init__(self, repo: Path, purpose: str = "") -> None:
        self.repo = repo
        self.purpose = purpose
        self.path = repo_state_dir(repo) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise LockedError(
                f"{self.repo}: another mom process is editing this repository ({holder}); "
                "wait for it to finish or stop it, then run again"
            ) from None
        os.ftruncate(fd, 0)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        what = f"`mom {self.purpose}`" if self.purpose else "mom"
        os.pwrite(fd, f"pid {os.getpid()}, {what}, since {stamp}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing drops the flock
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> RepoLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text or "pid unknown"


def holder_elsewhere(repo: Path) -> str | None:
    """Who holds the lock, if another live process does ("pid 42, `mom run`, since …").

    Read without taking the lock (even a probe's instant hold could refuse a real run):
    the holder writes its line on acquire and truncates it on release; a line left by a
    killed holder names a pid that is gone."""
    path = repo / ".mom" / LOCK_NAME
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    head = text.split(",", 1)[0]
    digits = head[4:]
    if not head.startswith("pid ") or not (digits.isascii() and digits.isdigit()):
        return None
    pid = int(digits)
    if pid <= 0 or pid == os.getpid():  # kill(0, …) would signal our own process group
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, another user's
        pass
    return text
