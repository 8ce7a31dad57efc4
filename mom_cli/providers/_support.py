"""Small helpers the adapters share: API keys from the environment, per-loop client caches."""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from mom_cli.config import ProviderConfig
from mom_cli.errors import AuthError
from mom_cli.providers.base import Availability, CompletionRequest

T = TypeVar("T")

NO_KEY = "not-needed"  # sent to keyless OpenAI-compatible servers (vLLM, llama.cpp server)


def api_key(cfg: ProviderConfig, environ: Mapping[str, str] | None, provider: str) -> str:
    """The key from the variable the config names. Keys are never read from files."""
    if not cfg.api_key_env:
        return NO_KEY
    value = (os.environ if environ is None else environ).get(cfg.api_key_env, "")
    if not value:
        raise AuthError(f"{cfg.api_key_env} not set", provider=provider)
    return value


def secret_value(cfg: ProviderConfig, environ: Mapping[str, str] | None) -> str | None:
    """The key itself, only so error messages can be scrubbed of it."""
    if not cfg.api_key_env:
        return None
    return (os.environ if environ is None else environ).get(cfg.api_key_env) or None


def key_availability(cfg: ProviderConfig, environ: Mapping[str, str] | None) -> Availability:
    """Usable when the key variable is set (if one is needed) and there is an endpoint."""
    endpoints = tuple(cfg.endpoints())
    if not endpoints:
        return Availability(False, "no base_url configured")
    if cfg.api_key_env and not (os.environ if environ is None else environ).get(cfg.api_key_env):
        return Availability(False, f"{cfg.api_key_env} not set")
    return Availability(True, "", endpoints)


def chat_messages(request: CompletionRequest) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in request.messages]


class LoopLocal(Generic[T]):
    """One client per (event loop, endpoint): HTTP pools must not cross event loops,
    but re-creating a client per call would cost milliseconds of overhead."""

    def __init__(self, factory: Callable[[str], T]) -> None:
        self._factory = factory
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, T]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, endpoint: str) -> T:
        loop = asyncio.get_running_loop()
        clients = self._by_loop.setdefault(loop, {})
        if endpoint not in clients:
            clients[endpoint] = self._factory(endpoint)
        return clients[endpoint]

    def pop_current(self) -> list[T]:
        """Forget (and return, for closing) this loop's clients."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return []
        return list(self._by_loop.pop(loop, {}).values())
