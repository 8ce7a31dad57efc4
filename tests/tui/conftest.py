"""Fixtures for the session tests: a project, a loopback fake for the paid tiers, keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import FakeServer
from fakes.fixtures import anthropic_server, openai_server
from tui_project import Paid, make_project, write_config

FAKE_KEY = "sk-test-tui-0123456789"
__all__ = ["anthropic_server", "openai_server"]  # fixtures


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "calc")


@pytest.fixture
def paid(
    tmp_path: Path,
    openai_server: FakeServer,
    anthropic_server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Paid:
    """Keys set for every paid tier; OpenAI-wire and Anthropic-wire fakes answer them."""
    for name in ("GROQ_API_KEY", "DEEPSEEK_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.setenv(name, FAKE_KEY)
    path = write_config(tmp_path / "routing.toml", openai_server.url, anthropic_server.url)
    return Paid(openai_server, anthropic_server, path)
