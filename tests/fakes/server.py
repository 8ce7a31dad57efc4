"""A scriptable loopback HTTP server; wire formats (wire.py) decide what bodies look like.

Each test scripts the next replies (`server.script(Reply.status(429, retry_after=1))`);
when the script runs out, the server answers normally. Every request is recorded so
tests can check what the real SDK sent (paths, headers, JSON).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol


@dataclass(frozen=True)
class Reply:
    """What the server does with the next chat request."""

    # ok | stream | status | hang | malformed | truncated | truncated_stream | trickle
    kind: str = "ok"
    content: str = "Hello from the fake server."
    status: int = 200
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 3.0  # "hang": wait this long (or until the server stops), send nothing
    delay: float = 0.0  # seconds to wait before any reply (to hold a call in flight)
    trickle_seconds: float = 2.0  # "trickle": one byte of the body (or one stream piece) per
    chunk_delay: float = 0.0  # seconds between streamed parts (a slow, mid-stream reply)
    finish: str = "stop"  # "length": the answer was cut at max_tokens (in each wire's words)
    usage: dict[str, Any] | None = None  # fields laid over every usage block the wire sends

    @classmethod
    def status_code(cls, status: int, message: str = "", **headers: str) -> Reply:
        return cls(kind="status", status=status, message=message or f"fake error {status}",
                   headers={k.replace("_", "-"): v for k, v in headers.items()})  # fmt: skip


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class Wire(Protocol):
    """One API's wire format."""

    def is_chat(self, path: str) -> bool: ...
    def wants_stream(self, body: Any) -> bool: ...
    def reply_body(self, content: str, body: Any, finish: str = ...) -> dict[str, Any]: ...
    def stream_parts(self, content: str, body: Any, finish: str = ...) -> list[bytes]: ...
    def stream_type(self) -> str: ...
    def error_body(self, status: int, message: str) -> dict[str, Any]: ...
    def get(self, path: str) -> dict[str, Any] | None: ...


class FakeServer:
    """Threaded HTTP/1.1 server on 127.0.0.1, an ephemeral port; use as a context manager."""

    def __init__(self, wire: Wire) -> None:
        self.wire = wire
        self.requests: list[Recorded] = []
        self._script: deque[Reply] = deque()
        # optional: picks the reply from the request body (None: fall back to the script)
        self.responder: Callable[[Any], Reply | None] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, *replies: Reply) -> FakeServer:
        with self._lock:
            self._script.extend(replies)
        return self

    def next_reply(self, body: Any = None) -> Reply:
        if self.responder is not None:
            chosen = self.responder(body)
            if chosen is not None:
                return chosen
        with self._lock:
            return self._script.popleft() if self._script else Reply()

    @property
    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST"]

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()  # wakes handlers that are "hanging"
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler_for(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    wire = server.wire

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else headers+body in two packets cost ~40 ms a reply

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

        def _send_json(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(doc).encode()
            self._send_raw(status, data, "application/json", headers)

        def _send_raw(self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None
                      = None, length: int | None = None) -> None:  # fmt: skip
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data) if length is None else length))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

        def _record(self, body: Any) -> None:
            server.requests.append(
                Recorded(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )  # fmt: skip
            )

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._record(None)
            doc = wire.get(self.path)
            if doc is None:
                self._send_json(404, {"error": f"no route {self.path}"})
            else:
                self._send_json(200, doc)

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw or b"null")
            self._record(body)
            if not wire.is_chat(self.path):
                self._send_json(404, {"error": f"no route {self.path}"})
                return
            self._reply(server.next_reply(body), body)

        def _reply(self, reply: Reply, body: Any) -> None:
            kind = reply.kind
            if reply.delay:
                server._stop.wait(reply.delay)
            if kind == "ok" and wire.wants_stream(body):
                kind = "stream"
            if kind == "trickle":
                self._trickle(reply, body)
                return
            if kind == "hang":
                server._stop.wait(reply.hang_seconds)
                self.close_connection = True
                return
            if kind == "status":
                self._send_json(reply.status, wire.error_body(reply.status, reply.message),
                                reply.headers)  # fmt: skip
            elif kind == "malformed":
                self._send_raw(200, b'{"id": "x", "choices": [ {"mess', "application/json")
            elif kind == "truncated":  # promises more bytes than it sends, then hangs up
                data = json.dumps(wire.reply_body(reply.content, body, reply.finish)).encode()
                self._send_raw(200, data[: len(data) // 2], "application/json", length=len(data))
                self._hang_up()
            elif kind in ("stream", "truncated_stream"):
                parts = wire.stream_parts(reply.content, body, reply.finish)
                if reply.usage is not None:
                    parts = [_sse_with_usage(p, reply.usage) for p in parts]
                if kind == "truncated_stream":
                    parts = parts[: max(1, len(parts) // 2)]
                self._stream(parts, truncated=kind == "truncated_stream", pause=reply.chunk_delay)
            else:
                document = wire.reply_body(reply.content, body, reply.finish)
                if reply.usage is not None:
                    document = _with_usage(document, reply.usage)
                self._send_json(200, document, reply.headers)

        def _stream(self, parts: list[bytes], *, truncated: bool, pause: float = 0.0) -> None:
            self.send_response(200)
            self.send_header("Content-Type", wire.stream_type())
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for index, part in enumerate(parts):
                if pause and index:
                    server._stop.wait(pause)
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                self.wfile.flush()
            if truncated:
                self._hang_up()  # no terminating chunk: the peer sees a cut stream
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _trickle(self, reply: Reply, body: Any) -> None:
            """A slow-loris reply: headers at once, then one byte (or one stream piece) every
            `trickle_seconds`, so no single read ever waits long enough to time out."""
            streaming = wire.wants_stream(body)
            self.send_response(200)
            if streaming:
                self.send_header("Content-Type", wire.stream_type())
                self.send_header("Transfer-Encoding", "chunked")
                chunks = [f"{len(p):x}\r\n".encode() + p + b"\r\n"
                          for p in wire.stream_parts(reply.content * 50, body)]  # fmt: skip
            else:
                data = (
                    json.dumps(wire.reply_body(reply.content, body, reply.finish)).encode()
                    + b" " * 100
                )
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                chunks = [data[i : i + 1] for i in range(len(data))]
            self.end_headers()
            self.wfile.flush()
            try:
                for chunk in chunks:
                    if server._stop.wait(reply.trickle_seconds):
                        break
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except OSError:
                pass  # the client gave up: that is the point
            self.close_connection = True

        def _hang_up(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    return Handler


def _with_usage(value: Any, usage: dict[str, Any]) -> Any:
    """`value` with `usage`'s fields laid over every `usage` object inside it (a crafted
    usage block: negative or absurd token counts)."""
    if isinstance(value, list):
        return [_with_usage(v, usage) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _with_usage(v, usage) for k, v in value.items()}
    if isinstance(out.get("usage"), dict):
        out["usage"] = {**out["usage"], **usage}
    return out


def _sse_with_usage(part: bytes, usage: dict[str, Any]) -> bytes:
    """One server-sent event (or NDJSON line) with its usage blocks replaced."""
    lines = []
    for line in part.decode().split("\n"):
        head = "data: " if line.startswith("data: ") else ""
        try:
            document = json.loads(line[len(head) :])
        except ValueError:
            lines.append(line)
            continue
        lines.append(head + json.dumps(_with_usage(document, usage)))
    return "\n".join(lines).encode()
