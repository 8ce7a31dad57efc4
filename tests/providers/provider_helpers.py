"""Helpers for the provider tests (a module, not conftest, so any folders can be
collected together): a fake key, a dead port, and configs with no real endpoint."""

from __future__ import annotations

import tomllib
from typing import Any

from mom_cli.config import MomConfig, deep_merge, packaged_default_text

FAKE_KEY = "sk-test-0123456789abcdef-SECRET"


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
