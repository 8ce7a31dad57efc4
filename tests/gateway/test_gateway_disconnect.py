"""A client that hangs up cancels the upstream call and frees its budget reservation."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from urllib.parse import urlparse

import httpx
import pytest
from fakes import FakeServer, Reply

from mom_cli.ledger.store import Ledger

Gateway = Callable[..., AbstractContextManager[str]]


def hang_up_after(base: str, body: dict[str, object], seconds: float) -> None:
    url = urlparse(base)
    data = json.dumps(body).encode()
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80)) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
        time.sleep(seconds)


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("stream", [False, True])
def test_disconnect_cancels_upstream(
    gateway: Gateway, fakes: list[FakeServer], stream: bool
) -> None:
    fakes[0].script(Reply(kind="hang", hang_seconds=8))
    body = {"model": "m-cheap", "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    with gateway() as base:
        root = base.removesuffix("/v1")
        started = time.monotonic()
        hang_up_after(base, body, 0.5)
        assert wait_for(lambda: httpx.get(root + "/health").json()["in_flight"] == 0)
        assert time.monotonic() - started < 4  # not the upstream's 8 s hang
        metrics = httpx.get(root + "/metrics").text
        assert 'status="499"' in metrics
    ledger = Ledger()
    held = ledger._conn.execute(
        "SELECT COUNT(*) FROM reservations WHERE expires > ?", (time.time(),)
    ).fetchone()[0]
    assert held == 0
    if stream:
        assert [r.outcome for r in ledger.rows()] == ["cancelled"]
