"""Availability/load fake for selector tests (no calls are made)."""

from __future__ import annotations

from mom_cli.config import MomConfig, load_config
from mom_cli.providers.base import Availability


def default_config(**overrides: object) -> MomConfig:
    return load_config(environ={}, overrides=overrides or None).config


class Availabilities:
    def __init__(self, down: dict[str, str] | None = None, busy: dict[str, int] | None = None):
        self.down = {"ollama-coder": "no server"} if down is None else down
        self.busy = busy or {}

    def availability(self, model: str) -> Availability:
        if model in self.down:
            return Availability(False, self.down[model])
        return Availability(True)

    def in_flight(self, model: str) -> int:
        return self.busy.get(model, 0)

    async def complete(self, *args: object, **kwargs: object) -> object:
        raise AssertionError("the selector must not call models")
