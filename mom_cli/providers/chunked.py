"""Chunked transfer decoding over whatever bytes have arrived, not one chunk at a time.

A streaming model answer is many tiny chunks (one SSE event, one token, each). Reading
them one `readuntil` + `readexactly` at a time made every token a trip through the
event loop and, in the gateway, its own write to the client. Fed with each network read,
this decoder returns all the complete chunks that read held as one block, so tokens that
arrived together travel on together, and none waits for a later one.
"""

from __future__ import annotations

MAX_HEAD = 4096  # a chunk-size line (with extensions) or trailer block longer than this is refused


class ChunkedError(ValueError):
    """The bytes are not a well-formed chunked body."""


class ChunkedDecoder:
    """feed(bytes) → the body bytes of every chunk completed so far; `done` after the last
    chunk and its trailers; `leftover` holds bytes that came after the body's end."""

    __slots__ = ("_buffer", "done", "leftover")

    def __init__(self) -> None:
        self._buffer = b""
        self.done = False
        self.leftover = b""

    def feed(self, data: bytes) -> bytes:
        if self.done:
            self.leftover += data
            return b""
        buffer = self._buffer + data if self._buffer else data
        out: list[bytes] = []
        start = 0
        while True:
            line_end = buffer.find(b"\r\n", start)
            if line_end < 0:
                if len(buffer) - start > MAX_HEAD:
                    raise ChunkedError("a chunk-size line is too long")
                break
            size = _chunk_size(buffer[start:line_end])
            if size == 0:
                end = _trailers_end(buffer, line_end + 2)
                if end < 0:
                    break
                self.done = True
                self.leftover = buffer[end:]
                start = len(buffer)
                break
            data_start = line_end + 2
            data_end = data_start + size
            if len(buffer) < data_end + 2:
                break
            if buffer[data_end : data_end + 2] != b"\r\n":
                raise ChunkedError("a chunk does not end with CRLF")
            out.append(buffer[data_start:data_end])
            start = data_end + 2
        self._buffer = buffer[start:]
        return b"".join(out)


def _chunk_size(line: bytes) -> int:
    field = line.split(b";", 1)[0].strip()
    if not field or len(field) > 16 or field.strip(b"0123456789abcdefABCDEF"):
        raise ChunkedError(f"bad chunk size {line[:20]!r}")  # int() would take 0x, +, _
    return int(field, 16)


def _trailers_end(buffer: bytes, start: int) -> int:
    """Where the body ends (after the trailer block's empty line), or -1 if not yet."""
    if buffer.startswith(b"\r\n", start):
        return start + 2
    end = buffer.find(b"\r\n\r\n", start)
    if end < 0:
        if len(buffer) - start > MAX_HEAD:
            raise ChunkedError("the trailer block is too long")
        return -1
    return end + 4
