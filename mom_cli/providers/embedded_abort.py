"""Stopping the embedded model mid-decode: llama.cpp's abort callback, wired to a cancel.

A worker thread inside `llama_decode` cannot be interrupted from Python, and prompt
prefill of a long step context runs a minute or more on a slow CPU (Ctrl+C in the session
waited 78 s for it). llama.cpp asks its context's abort callback between the nodes of
every compute graph and, when it answers true, `llama_decode` returns 2; llama-cpp-python
raises RuntimeError, having counted none of the aborted batch's tokens, and llama.cpp drops
the batch from its KV cache, so the same Llama serves the next request.

The callback is asked ~1,000 times per decoded token. A Python callback must take the GIL
each time: with another Python thread busy, 100 tokens took 1.6-1.9x as long as with no
callback (scripts/bench_abort_callback.py: 21.7 s against 13.5 s); so the
callback is libc's `strlen` over a two-byte flag: it reads the flag with no Python (0 while
running, 1 once tripped; a bool return is the low byte of strlen's result on x86-64 and
AArch64). Where libc cannot be loaded, a Python callback reads the same flag.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Aborted(Exception):
    """Raised in the worker thread when a cancel stopped the call; the awaiting coroutine
    raises asyncio.CancelledError in its place."""


class AbortSwitch:
    """One per Llama instance: the flag its abort callback reads, and which call owns it.

    Calls into a Llama are serialised, so one flag serves all of them; `armed(stop)` ties it
    to the running call's stop event, so a late cancel of a finished call cannot abort the
    call that runs after it."""

    def __init__(self) -> None:
        self._flag = ctypes.create_string_buffer(2)  # b"\0\0": strlen 0 = keep going
        self._owner: threading.Event | None = None
        self._guard = threading.Lock()
        self.callback, self.data = _flag_reader(self._flag)

    def install(self, llama: Any) -> None:
        """Set this switch as `llama`'s abort callback (llama.cpp keeps the pointer; the
        switch keeps the callback alive as long as the Llama it is stored with)."""
        import llama_cpp

        llama_cpp.llama_set_abort_callback(llama.ctx, self.callback, self.data)

    @property
    def armed_call(self) -> bool:
        """Whether a call is running under this switch now."""
        return self._owner is not None

    @property
    def tripped(self) -> bool:
        return self._flag.raw[0] != 0

    @contextmanager
    def armed(self, stop: threading.Event) -> Iterator[None]:
        """While the body runs, setting `stop` and calling `trip(stop)` aborts the decode."""
        with self._guard:
            self._owner = stop
            self._flag[0] = b"\x01" if stop.is_set() else b"\x00"
        try:
            yield
        finally:
            with self._guard:
                self._owner = None
                self._flag[0] = b"\x00"

    def trip(self, stop: threading.Event) -> None:
        """Abort the running decode if `stop` belongs to the call now running."""
        stop.set()
        with self._guard:
            if self._owner is stop:
                self._flag[0] = b"\x01"


def _flag_reader(flag: ctypes.Array[ctypes.c_char]) -> tuple[Any, ctypes.c_void_p]:
    """An abort callback answering `flag[0] != 0`, and the data pointer to pass it."""
    import llama_cpp

    data = ctypes.cast(flag, ctypes.c_void_p)
    try:
        strlen = ctypes.CDLL(None).strlen
    except (OSError, AttributeError, TypeError):  # no libc symbols here (Windows)
        strlen = None
    if strlen is not None:
        return ctypes.cast(strlen, llama_cpp.ggml_abort_callback), data

    @llama_cpp.ggml_abort_callback  # type: ignore[misc]
    def read(_: ctypes.c_void_p) -> bool:
        return flag.raw[0] != 0

    return read, data
