"""Fixtures for the provider layer: loopback fakes, configs pointing at them, fast retries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakes import FakeServer, OpenAIWire
from fakes.fixtures import anthropic_server, ollama_server, openai_server
from provider_helpers import make_config

from mom_cli.config import MomConfig
from mom_cli.ledger.store import Ledger
from mom_cli.providers.retry import RetryPolicy

__all__ = ["anthropic_server", "ollama_server", "openai_server"]  # fixtures


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
def openai_server2() -> Iterator[FakeServer]:
    with FakeServer(OpenAIWire()) as server:
        yield server


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
