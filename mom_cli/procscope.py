"""The process groups a run has started, so a cancel can kill them at once.

Validation runs the project's own tools (test suites, builds, linters) in worker threads,
each in its own process group. Cancelling the run's asyncio task does not stop a thread
that is waiting for a sleeping test suite; killing the group does. A `ProcessScope` is
set for the run (a context variable, which `asyncio.to_thread` carries into its worker
threads); `validate.runner.run_command` registers each group in it, and `kill_all` (the
cancel) kills them and makes any later start in the scope die at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from contextvars import ContextVar


class ProcessScope:
    """Thread-safe set of live process-group ids; closed for good by `kill_all`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: set[int] = set()
        self.closed = False
        self.killed = 0

    def add(self, pgid: int) -> bool:
        """Register a group; False (and the caller kills it) once the scope is closed."""
        with self._lock:
            if self.closed:
                return False
            self._groups.add(pgid)
            return True

    def discard(self, pgid: int) -> None:
        with self._lock:
            self._groups.discard(pgid)

    @property
    def live(self) -> int:
        with self._lock:
            return len(self._groups)

    def kill_all(self) -> int:
        """SIGKILL every registered group; later `add`s are refused. How many were hit."""
        with self._lock:
            self.closed = True
            groups = list(self._groups)
        for pgid in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        self.killed += len(groups)
        return len(groups)


_current: ContextVar[ProcessScope | None] = ContextVar("mom_process_scope", default=None)


def current() -> ProcessScope | None:
    return _current.get()


def was_cancelled() -> bool:
    scope = _current.get()
    return scope is not None and scope.closed


@contextlib.contextmanager
def opened(scope: ProcessScope | None = None) -> Iterator[ProcessScope]:
    """Make `scope` (or a new one) current for this context and the tasks it creates."""
    scope = scope or ProcessScope()
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
