"""HTTP status / header → error tree mapping, and key scrubbing."""

from __future__ import annotations

import email.utils

from mom_cli.errors import (
    Action,
    AuthError,
    ContextOverflowError,
    ProviderTimeoutError,
    RateLimitedError,
    UnavailableError,
)
from mom_cli.providers.errors_map import from_status, parse_retry_after, scrub


def test_retry_after_in_seconds_milliseconds_and_http_date() -> None:
    assert parse_retry_after({"Retry-After": "7"}) == 7.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    when = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after({"retry-after": when}, now=1_000_000) == 30.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_status_codes_map_to_actions() -> None:
    assert isinstance(from_status(401, "bad key"), AuthError)
    assert isinstance(from_status(403, "forbidden"), AuthError)
    limited = from_status(429, "slow down", {"retry-after": "3"})
    assert isinstance(limited, RateLimitedError) and limited.retry_after == 3.0
    assert limited.action is Action.COOL_DOWN
    assert isinstance(from_status(504, "gateway"), ProviderTimeoutError)
    assert isinstance(from_status(503, "overloaded"), UnavailableError)
    overflow = from_status(400, "This model's maximum context length is 8192 tokens")
    assert isinstance(overflow, ContextOverflowError) and overflow.action is Action.ESCALATE


def test_key_is_scrubbed_from_messages() -> None:
    err = from_status(401, "Incorrect API key provided: sk-abcdef123", secret="sk-abcdef123")
    assert "sk-abcdef123" not in str(err)
    assert scrub("no secret here", None) == "no secret here"
