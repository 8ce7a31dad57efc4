"""Surviving a lost terminal (SSH drop, closed tmux pane, `tmux kill-session`).

A hang-up sends SIGHUP, whose default action would kill the session mid-step; the
terminal's file descriptors then fail with EIO or read EOF forever. `detach_terminal`
points them at harmless ends instead: output at /dev/null, input at a pipe nobody writes
(so Textual's input thread blocks instead of spinning on EOF). The app keeps running
headless until its work is finished, records the result and exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from typing import Any

_keep: list[int] = []  # the pipe's write end: open for the life of the process


def detach_terminal() -> None:
    """Replace fds 0, 1 and 2 (the dead terminal) with /dev/null and an idle pipe."""
    null = os.open(os.devnull, os.O_WRONLY)
    read_end, write_end = os.pipe()
    _keep.append(write_end)
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            os.dup2(null, fd)
    with contextlib.suppress(OSError):
        os.dup2(read_end, 0)
    os.close(null)
    os.close(read_end)


def release_input() -> None:
    """Wake an input thread blocked reading the idle pipe (it may have been mid-read when
    the fds were swapped), so the app can join it and exit."""
    for fd in _keep:
        with contextlib.suppress(OSError):
            os.write(fd, b"\x1b")


Handler = Callable[[int, Any], None]


def install(on_hangup: Handler) -> Handler | int | None:
    """Call `on_hangup` on SIGHUP (a plain signal handler: it runs even while the main
    thread waits on a lock). Returns the previous handler for `restore`, or None where
    signals are not ours to set (not the main thread)."""
    try:
        return signal.signal(signal.SIGHUP, on_hangup)
    except (ValueError, OSError):
        return None


def restore(previous: Handler | int | None) -> None:
    if previous is None:
        return
    with contextlib.suppress(ValueError, OSError, TypeError):
        signal.signal(signal.SIGHUP, previous)
