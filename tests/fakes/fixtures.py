"""Pytest fixtures for one loopback server per wire format; a conftest imports the ones
its folder uses (`from fakes.fixtures import openai_server`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import FakeServer
from .wire import AnthropicWire, OllamaWire, OpenAIWire


@pytest.fixture
def openai_server() -> Iterator[FakeServer]:
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
