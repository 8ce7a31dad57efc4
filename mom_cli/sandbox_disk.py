"""Free disk space while a command mom runs is running: RLIMIT_FSIZE caps one file
(mom_cli.sandbox_limits), but a test can still fill the disk with many of them before the
timeout. Between short waits for the command, mom reads the free space of the file systems
it writes to (the work tree's and the temp folder's) and kills the command once one of
them is below `safety.min_free_disk_mb` and has lost more than SLACK since the command
started (so a disk that was nearly full before does not fail every check for a few bytes).
A statvfs per half second; a command that ends sooner is never polled.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from mom_cli.sandbox_output import CappedCommunication

MIB = 1024 * 1024
POLL_SECONDS = 0.5
SLACK = 64 * MIB
TIMED_OUT = "timeout"


def free_bytes(path: Path | str) -> int | None:
    """Bytes an unprivileged writer may still use on `path`'s file system."""
    try:
        stat = os.statvfs(path)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize


@dataclass(frozen=True)
class DiskWatch:
    floor: int  # bytes; 0 = off
    start: dict[str, int]  # one path per file system -> its free bytes at the start

    @classmethod
    def begin(cls, paths: Iterable[Path | str], floor_mb: int) -> DiskWatch:
        start: dict[str, int] = {}
        devices: set[int] = set()
        for path in paths if floor_mb > 0 else ():
            try:
                device = os.stat(path).st_dev
            except OSError:
                continue
            free = free_bytes(path)
            if free is not None and device not in devices:
                devices.add(device)
                start[str(path)] = free
        return cls(floor_mb * MIB, start)

    def breached(self) -> str:
        """Why the command must stop ("" while the disks are fine)."""
        for path, before in self.start.items():
            free = free_bytes(path)
            if free is not None and free < self.floor and before - free > SLACK:
                return (
                    f"[mom] killed: the disk holding {path} was nearly full "
                    f"({free // MIB} MiB free, safety.min_free_disk_mb = {self.floor // MIB}); "
                    f"{(before - free) // MIB} MiB written since the command started"
                )
        return ""


def communicate(
    proc: subprocess.Popen[bytes],
    stdin: bytes | None,
    timeout: float,
    watch: DiskWatch,
    kill: Callable[[], None],
    done: Callable[[bytes, bytes], str] | None = None,
) -> tuple[bytes, bytes, str]:
    """`proc.communicate` within `timeout`, watching the disk between short waits, keeping
    at most OUTPUT_CAP_BYTES of each stream (mom_cli.sandbox_output). `done`, when given,
    is also asked between short waits, with the output so far, whether the command is
    finished in all but exiting (mom_cli.validate.hang): its answer, when not "", is why
    the command was stopped.
    (stdout, stderr, why it was killed: "" | TIMED_OUT | the disk message | `done`'s)."""
    deadline = time.monotonic() + timeout
    pipes = CappedCommunication(proc, stdin)
    polling = bool(watch.start) or done is not None
    while True:
        left = deadline - time.monotonic()
        wait = min(left, POLL_SECONDS) if polling else left
        if pipes.wait(wait):
            return (*pipes.output(), "")
        why = TIMED_OUT if time.monotonic() >= deadline else watch.breached()
        if not why and done is not None:
            why = done(*pipes.output())
        if why:
            pipes.drain(kill)
            return (*pipes.output(), why)
