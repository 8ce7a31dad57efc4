"""What mom keeps of a command's output: at most OUTPUT_CAP_BYTES per stream.

A test that loops printing, or a tool run on a huge generated file, can write gigabytes
before its timeout; `Popen.communicate` keeps every byte, so `mom` itself grew by the
whole stream (and again when decoding it) and could take the machine's memory down with
it. Each stream is read as it arrives: the first half of the cap and the last half are
kept (a test runner's header and its summary and failures), the middle is counted and
dropped, and a marker line in its place says how much.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import IO

MIB = 1024 * 1024
OUTPUT_CAP_BYTES = 64 * MIB  # per stream (stdout, stderr)
CHUNK = 64 * 1024
DRAIN_SECONDS = 5.0  # after a kill: how long to wait for the pipes to close


class CappedBuffer:
    """The head and tail of a byte stream, and how many bytes fell between them."""

    def __init__(self, cap: int = OUTPUT_CAP_BYTES) -> None:
        self.head_limit = cap // 2
        self.tail_limit = cap - self.head_limit
        self.head = bytearray()
        self.tail: deque[bytes] = deque()  # whole chunks; the oldest leave as new ones come
        self.tail_size = 0
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        self.tail.append(chunk)
        self.tail_size += len(chunk)
        while self.tail_size - len(self.tail[0]) >= self.tail_limit:
            self.tail_size -= len(self.tail.popleft())

    def _tail(self) -> bytes:
        data = b"".join(self.tail)
        return data[len(data) - self.tail_limit :] if len(data) > self.tail_limit else data

    @property
    def dropped(self) -> int:
        return self.total - len(self.head) - min(self.tail_size, self.tail_limit)

    def value(self) -> bytes:
        tail = self._tail()
        if not self.dropped:
            return bytes(self.head) + tail
        marker = (
            f"\n[mom] output capped: {self.dropped:,} bytes dropped here (of {self.total:,}; "
            f"the first {len(self.head):,} and the last {len(tail):,} are kept)\n"
        )
        return bytes(self.head) + marker.encode() + tail


class _Reader(threading.Thread):
    def __init__(self, pipe: IO[bytes], cap: int) -> None:
        super().__init__(daemon=True)
        self.pipe = pipe
        self.buffer = CappedBuffer(cap)

    def run(self) -> None:
        read = getattr(self.pipe, "read1", self.pipe.read)
        try:
            while chunk := read(CHUNK):
                self.buffer.add(chunk)
        except (OSError, ValueError):
            pass  # the pipe was closed under us after a kill


def _feed(pipe: IO[bytes], data: bytes) -> None:
    with contextlib.suppress(OSError, ValueError):  # it exited without reading it all
        pipe.write(data)
    with contextlib.suppress(OSError):
        pipe.close()


class CappedCommunication:
    """`proc`'s stdout and stderr read as they come (each capped), its stdin written in
    the background; `wait` is `Popen.communicate(timeout=…)` without the unbounded memory."""

    def __init__(
        self, proc: subprocess.Popen[bytes], stdin: bytes | None, cap: int = OUTPUT_CAP_BYTES
    ) -> None:
        self.proc = proc
        pipes = [p for p in (proc.stdout, proc.stderr) if p is not None]
        self.readers = {id(p): _Reader(p, cap) for p in pipes}
        self.threads: list[threading.Thread] = list(self.readers.values())
        if stdin is not None and proc.stdin is not None:
            self.threads.append(threading.Thread(target=_feed, args=(proc.stdin, stdin),
                                                 daemon=True))  # fmt: skip
        elif proc.stdin is not None:
            proc.stdin.close()
        for thread in self.threads:
            thread.start()

    def wait(self, seconds: float) -> bool:
        """True once the command has exited and both pipes are at end of file."""
        end = time.monotonic() + seconds
        try:
            self.proc.wait(timeout=max(seconds, 0.0))
        except subprocess.TimeoutExpired:
            return False
        for thread in self.threads:
            thread.join(max(end - time.monotonic(), 0.0))
            if thread.is_alive():
                return False  # a child it left behind still holds the pipe open
        return True

    def drain(self, kill: Callable[[], None]) -> None:
        """After `kill`: reap the command and give the readers a moment to hit EOF."""
        kill()
        self.proc.wait()
        deadline = time.monotonic() + DRAIN_SECONDS
        for thread in self.threads:
            thread.join(max(deadline - time.monotonic(), 0.0))

    def output(self) -> tuple[bytes, bytes]:
        def kept(pipe: IO[bytes] | None) -> bytes:
            reader = self.readers.get(id(pipe)) if pipe is not None else None
            return reader.buffer.value() if reader is not None else b""

        return kept(self.proc.stdout), kept(self.proc.stderr)
