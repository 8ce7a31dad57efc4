"""A cancellation token a front end can set from any thread (Ctrl+C in the TUI).

The engine is asyncio; front ends run it in a worker thread with `run_async`, which
cancels the coroutine's task when the token is set, after killing every process group
the run has running (mom_cli.procscope: a validation's test suite, build or linter), so
the worker threads waiting on them return at once. The engine then returns its partial
result (Pipeline.execute) or raises CancelledError, and the service rolls back what the
cancelled run left applied.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
POLL_SECONDS = 0.05


class CancelToken:
    """Set once; every waiter sees it. Thread-safe."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class Cancelled(Exception):
    """The run was cancelled by its token before it produced a result."""


def run_async(coro: Coroutine[Any, Any, T], token: CancelToken | None = None) -> T:
    """`asyncio.run(coro)`, cancelled when `token` is set. Raises Cancelled if the
    coroutine let the cancellation through (Pipeline.execute returns a partial result
    instead)."""
    return asyncio.run(_guarded(coro, token))


async def _guarded(coro: Coroutine[Any, Any, T], token: CancelToken | None) -> T:
    from mom_cli import procscope

    with procscope.opened() as scope:  # the task and its worker threads inherit it
        task: asyncio.Task[T] = asyncio.ensure_future(coro)
    try:
        if token is None:
            return await task
        while not task.done():
            if token.cancelled:
                scope.kill_all()  # a validation's test suite stops now, not when it finishes
                task.cancel()
                break
            await asyncio.wait({task}, timeout=POLL_SECONDS)
    except asyncio.CancelledError:  # Ctrl+C in a terminal: asyncio.run cancelled us
        scope.kill_all()
        task.cancel()
        raise
    try:
        return await task
    except asyncio.CancelledError:
        raise Cancelled("cancelled") from None
