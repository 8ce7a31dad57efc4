"""Loopback servers that speak each provider's wire format, for tests and the benchmark."""

from .server import FakeServer, Recorded, Reply
from .wire import AnthropicWire, OllamaWire, OpenAIWire

__all__ = ["AnthropicWire", "FakeServer", "OllamaWire", "OpenAIWire", "Recorded", "Reply"]
