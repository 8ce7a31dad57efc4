"""Who may call the gateway, and with which daily budget.

Tokens are kept only as sha256 digests; the id of the matching token (its name in
routing.toml, or "cli"/"env") is what the ledger and logs see. Loopback without any
token configured is open: the machine's user is the only client.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

from mom_cli.config import GatewaySection
from mom_cli.errors import ConfigError, UsageError

OPEN_CLIENT = "local"  # the client id of loopback requests when no token is configured


@dataclass(frozen=True)
class Client:
    id: str
    daily_budget_usd: float  # 0 = only the global [cost] thresholds


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class TokenTable:
    """sha256 hex → Client. Empty means no token is required (loopback only)."""

    by_digest: Mapping[str, Client]

    @property
    def required(self) -> bool:
        return bool(self.by_digest)

    def client_for(self, authorization: str | None) -> Client | None:
        """The client of an `Authorization: Bearer …` header, or None if not allowed."""
        if not self.by_digest:
            return Client(OPEN_CLIENT, 0.0)
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.by_digest.get(digest(token.strip()))


def build_tokens(
    section: GatewaySection, cli_token: str | None, environ: Mapping[str, str] | None = None
) -> TokenTable:
    env = os.environ if environ is None else environ
    table: dict[str, Client] = {}
    if cli_token is not None:
        if not cli_token.strip():
            raise UsageError("--token: empty token")
        table[digest(cli_token.strip())] = Client("cli", section.token_budget_usd)
    env_token = env.get(section.token_env, "").strip() if section.token_env else ""
    if env_token:
        table.setdefault(digest(env_token), Client("env", section.token_budget_usd))
    for name, spec in section.tokens.items():
        if spec.sha256:
            table[spec.sha256.lower()] = Client(name, spec.daily_budget_usd)
        elif spec.token_env:
            value = env.get(spec.token_env, "").strip()
            if not value:
                raise ConfigError(
                    f"gateway.tokens.{name}.token_env: ${spec.token_env} is not set or empty"
                )
            table[digest(value)] = Client(name, spec.daily_budget_usd)
        else:
            raise ConfigError(f"gateway.tokens.{name}: set sha256 or token_env")
    return TokenTable(table)


def check_bind(host: str, tokens: TokenTable, token_env: str) -> None:
    """Refuse to listen beyond loopback without a token: the gateway spends real money."""
    if not is_loopback(host) and not tokens.required:
        raise UsageError(
            f"--host {host}: binding a non-loopback address needs a token; pass --token T, "
            f"set ${token_env or 'MOM_SERVE_TOKEN'}, or add [gateway.tokens.NAME] to "
            "routing.toml"
        )
