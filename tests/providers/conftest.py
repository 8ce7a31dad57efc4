"""Fixtures for the provider layer: loopback fakes, configs pointing at them, fast retries."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import AnthropicWire, FakeServer, OllamaWire, OpenAIWire

from mom_cli.config import MomConfig, deep_merge, packaged_default_text
from mom_cli.ledger.store import Ledger
from mom_cli.providers.retry import RetryPolicy

FAKE_KEY = "sk-test-0123456789abcdef-SECRET"


@pytest.fixture(autouse=True)
def _mom_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own ledger dir; the developer's real ledger is never touched."""
    home = tmp_path / "momhome"
    monkeypatch.setenv("MOM_HOME", str(home))
    monkeypatch.setenv("MOM_CONFIG_HOME", str(tmp_path / "config"))
    for name in ("GROQ_API_KEY", "DEEPSEEK_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def openai_server() -> Iterator[FakeServer]:
    with FakeServer(OpenAIWire()) as server:
        yield server


@pytest.fixture
def openai_server2() -> Iterator[FakeServer]:
    with FakeServer(OpenAIWire()) as server:
        yield server


@pytest.fixture
def anthropic_server() -> Iterator[FakeServer]:
    with FakeServer(AnthropicWire()) as server:
        yield server


@pytest.fixture
def ollama_server() -> Iterator[FakeServer]:
    with FakeServer(OllamaWire()) as server:
        yield server


def closed_port_url() -> str:
    """A loopback URL nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def make_config(overrides: dict[str, Any] | None = None) -> MomConfig:
    """The packaged default with `overrides` merged in; no network endpoint is left real."""
    data = tomllib.loads(packaged_default_text())
    data = deep_merge(data, {"providers": {"ollama": {"base_url": closed_port_url()}}})
    return MomConfig.model_validate(deep_merge(data, overrides or {}))


@pytest.fixture
def config_for() -> Callable[..., MomConfig]:
    return make_config


@pytest.fixture
def fast_policy() -> RetryPolicy:
    return RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, cooldown_after=3)


@pytest.fixture
def ledger(_mom_home: Path) -> Iterator[Ledger]:
    store = Ledger(_mom_home / "ledger.sqlite3")
    yield store
    store.close()
