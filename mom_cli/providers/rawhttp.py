"""A minimal keep-alive HTTP/1.1 client for one origin: POST a JSON body, read the reply.

Why not httpx (or an SDK built on it): on the gateway's pass-through path every request
paid ~5 ms of CPU inside the openai SDK and httpx's connection pool, more than the whole
rest of the gateway. This client does only what an OpenAI-compatible upstream needs:
persistent connections (one request at a time each), Content-Length and chunked bodies,
TLS for https, and a retry of the request on a fresh connection when a pooled one turns
out to be closed before any byte of the answer arrived (the usual keep-alive race).
Transport failures come out as OSError/EOFError/TimeoutError subclasses; the caller maps
them onto mom's error tree.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from mom_cli.providers.chunked import ChunkedDecoder, ChunkedError

MAX_IDLE = 128  # idle connections kept per origin (and event loop)
READ_SIZE = 65536


class ProtocolError(EOFError):
    """The server's reply is not HTTP/1.1 this client can read (or was cut short)."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


class _Conn:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def usable(self) -> bool:
        return not self.writer.is_closing() and not self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()


class Origin:
    """Connections to one base URL (scheme://host:port/prefix) on the current event loop."""

    def __init__(self, base_url: str, connect_timeout: float = 10.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        self.prefix = parts.path.rstrip("/")
        default_port = self.port == (443 if self.tls else 80)
        self.host_header = self.host if default_port else f"{self.host}:{self.port}"
        self.connect_timeout = connect_timeout
        self._idle: list[_Conn] = []
        self._ssl: ssl.SSLContext | None = ssl.create_default_context() if self.tls else None

    async def _connect(self) -> _Conn:
        async with asyncio.timeout(self.connect_timeout):
            reader, writer = await asyncio.open_connection(
                self.host, self.port, ssl=self._ssl, limit=1 << 20
            )
        return _Conn(reader, writer)

    def _release(self, conn: _Conn, reusable: bool) -> None:
        if reusable and conn.usable() and len(self._idle) < MAX_IDLE:
            self._idle.append(conn)
        else:
            conn.close()

    def _head(self, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        lines = [f"POST {self.prefix}{path} HTTP/1.1", f"Host: {self.host_header}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _send(
        self, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[_Conn, int, dict[str, str]]:
        """Write the request and read the status line and headers. A pooled connection
        that fails before the first byte of the reply is retried once on a new one."""
        payload = self._head(path, body, headers) + body
        while True:
            while self._idle and not self._idle[-1].usable():
                self._idle.pop().close()  # the server hung up while it sat idle
            pooled = bool(self._idle)
            conn = self._idle.pop() if pooled else await self._connect()
            try:
                conn.writer.write(payload)
                raw = await conn.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                conn.close()
                partial = getattr(exc, "partial", b"")
                if pooled and not partial:
                    continue  # the server closed an idle connection: try a fresh one
                raise ProtocolError("connection closed before the response headers") from None
            except BaseException:
                conn.close()
                raise
            try:
                status, fields = _parse_head(raw)
            except ProtocolError:
                conn.close()
                raise
            return conn, status, fields

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        """POST and read the whole reply."""
        conn, status, fields = await self._send(path, body, headers)
        try:
            data = b"".join([chunk async for chunk in _body(conn.reader, fields)])
        except BaseException:
            conn.close()
            raise
        self._release(conn, _keeps_alive(fields))
        return Reply(status, fields, data)

    async def post_stream(
        self, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], AsyncIterator[bytes]]:
        """POST; return the status, headers and the body as it arrives. The connection
        goes back to the pool only when the body was read to its end."""
        conn, status, fields = await self._send(path, body, headers)

        async def chunks() -> AsyncIterator[bytes]:
            done = False
            try:
                async for chunk in _body(conn.reader, fields):
                    yield chunk
                done = True
            finally:
                if done:
                    self._release(conn, _keeps_alive(fields))
                else:
                    conn.close()

        return status, fields, chunks()

    def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()


def _parse_head(raw: bytes) -> tuple[int, dict[str, str]]:
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError(f"malformed header line: {line[:80]!r}")
        fields[name.strip().lower()] = value.strip()
    if parts[0] == "HTTP/1.0" and fields.get("connection", "").lower() != "keep-alive":
        fields["connection"] = "close"  # HTTP/1.0 closes after each reply by default
    return int(parts[1]), fields


def _keeps_alive(fields: dict[str, str]) -> bool:
    if fields.get("connection", "").lower() == "close":
        return False
    return "content-length" in fields or "chunked" in fields.get("transfer-encoding", "")


async def _body(reader: asyncio.StreamReader, fields: dict[str, str]) -> AsyncIterator[bytes]:
    """The body's bytes, by Content-Length, chunked encoding, or until the server closes."""
    try:
        if "chunked" in fields.get("transfer-encoding", "").lower():
            decoder = ChunkedDecoder()
            while not decoder.done:
                data = await reader.read(READ_SIZE)
                if not data:
                    raise ProtocolError("truncated response: the body was cut short")
                if block := decoder.feed(data):
                    yield block
            if decoder.leftover:
                raise ProtocolError("bytes after the end of a chunked body")
        elif "content-length" in fields:
            length = int(fields["content-length"])
            if length:
                yield await reader.readexactly(length)
        else:
            while chunk := await reader.read(READ_SIZE):
                yield chunk
    except asyncio.IncompleteReadError:
        raise ProtocolError("truncated response: the body was cut short") from None
    except ChunkedError as exc:
        raise ProtocolError(str(exc)) from None
