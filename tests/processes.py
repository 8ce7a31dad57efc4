"""Find the processes a sandboxed command started, from outside its PID namespace.

Inside the namespace (mom_cli.sandbox_pid) `$$`, `$!` and `os.getpid()` are the
namespace's own numbers, which name other processes out here. A test therefore puts a mark
in the command's environment (every process it starts inherits it) and looks for the mark
in /proc/*/environ. Zombies count as gone (their environ reads empty)."""

from __future__ import annotations

import contextlib
import os
import signal
import time

MARK = "MOM_TEST_PROCESS_MARK"


def mark_env(mark: str) -> dict[str, str]:
    """The environment addition that marks a command's processes (run_command's `env`)."""
    return {MARK: mark}


def marked(mark: str) -> list[int]:
    """The live processes (host pids) whose environment holds the mark."""
    needle = f"\0{MARK}={mark}\0".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                data = b"\0" + fh.read()
        except OSError:
            continue
        if needle in data or data.endswith(needle[:-1]):
            found.append(int(entry))
    return found


def wait_until_gone(mark: str, seconds: float = 5.0) -> list[int]:
    """The marked processes still alive after up to `seconds` (empty once all ended)."""
    deadline = time.monotonic() + seconds
    while (left := marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def wait_until_present(mark: str, seconds: float = 30.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while not (found := marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def kill_marked(mark: str) -> None:
    """Clean up after a test whose containment failed (the old code)."""
    for pid in marked(mark):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
