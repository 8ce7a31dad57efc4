"""Fixtures: three loopback OpenAI fakes (cheap, mid, top tiers) and a gateway on uvicorn."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeServer, OpenAIWire
from gateway_support import FAKE_KEY, running, write_config

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")


@pytest.fixture
def fakes() -> Iterator[list[FakeServer]]:
    with (
        FakeServer(OpenAIWire()) as a,
        FakeServer(OpenAIWire()) as b,
        FakeServer(OpenAIWire()) as c,
    ):
        yield [a, b, c]


@pytest.fixture
def gateway(
    fakes: list[FakeServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., AbstractContextManager[str]]:
    """gateway(token=None, extra={...}) → context manager yielding the /v1 base URL."""
    from mom_cli.gateway.server import ServeSpec, create_app
    from mom_cli.providers.retry import RetryPolicy

    monkeypatch.setenv("FAKE_UPSTREAM_KEY", FAKE_KEY)
    monkeypatch.delenv("MOM_SERVE_TOKEN", raising=False)

    def start(
        token: str | None = None, extra: dict[str, Any] | None = None, ledger: str | None = None
    ) -> AbstractContextManager[str]:
        cfg = write_config(tmp_path / "routing.toml", [f.url for f in fakes], extra)
        from mom_cli.gateway.auth import digest

        spec = ServeSpec(
            host="127.0.0.1",
            port=0,
            repo=None,
            config=str(cfg),
            ledger=ledger,
            cli_token_digest=digest(token) if token else None,
        )
        policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02)
        return running(create_app(spec, policy=policy))

    return start


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    from pg_support import pg_bin, postgres_server

    pytest.importorskip("psycopg")
    if pg_bin() is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are not installed")
    with postgres_server() as url:
        yield url


@pytest.fixture
def pg_url(pg_server: str, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on the session's server."""
    import re

    from pg_support import fresh_database

    name = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    return fresh_database(pg_server, name)
