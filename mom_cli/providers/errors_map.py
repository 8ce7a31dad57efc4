"""Turn SDK and HTTP failures into mom's error tree, so one retry policy can judge them all.

The openai, groq and anthropic SDKs share one generated layout (APIStatusError with
`status_code` and `response`, APITimeoutError ⊂ APIConnectionError, APIResponseValidationError),
so `map_sdk_error` takes the SDK module and reads those names from it. Ollama raises its own
ResponseError/ConnectionError and httpx errors; `map_ollama_error` handles those.

Every message is scrubbed of the API key before it leaves this module: servers sometimes
echo the key they rejected.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from types import ModuleType

import httpx

from mom_cli.errors import (
    AuthError,
    ContextOverflowError,
    MalformedResponseError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitedError,
    UnavailableError,
)

_OVERFLOW_HINTS = (
    "context length",
    "context_length",
    "context window",
    "maximum context",
    "prompt is too long",
    "too many tokens",
    "exceed context",
    "exceeds the context",
)


def scrub(text: str, secret: str | None) -> str:
    """Remove a secret (and its obvious prefixes) from a message."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return text


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` / `retry-after` (seconds or an HTTP date)."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def is_context_overflow(message: str) -> bool:
    lowered = message.lower()
    return any(hint in lowered for hint in _OVERFLOW_HINTS)


def from_status(
    status: int,
    message: str,
    headers: Mapping[str, str] | None = None,
    *,
    provider: str = "",
    model: str = "",
    secret: str | None = None,
) -> ProviderError:
    """Map an HTTP status (and the server's message) onto one error type."""
    text = scrub(f"HTTP {status}: {message}".strip(), secret)[:500]
    where = {"provider": provider, "model": model}
    if status in (401, 403):
        return AuthError(text, **where)
    if status == 429:
        return RateLimitedError(text, retry_after=parse_retry_after(headers), **where)
    if status in (408, 504):
        return ProviderTimeoutError(text, **where)
    if status in (400, 413, 422) and is_context_overflow(message):
        return ContextOverflowError(text, **where)
    if status >= 500:
        return UnavailableError(text, **where)
    if status == 404:
        return UnavailableError(text, **where)  # wrong base URL or unknown model here
    return MalformedResponseError(text, **where)  # other 4xx: the request/response is off


def map_sdk_error(
    exc: BaseException,
    sdk: ModuleType,
    *,
    provider: str,
    model: str,
    endpoint: str,
    secret: str | None = None,
) -> ProviderError:
    """Map an exception from the openai/groq/anthropic SDK (passed as `sdk`)."""
    where = {"provider": provider, "model": model}
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, sdk.APITimeoutError):
        return ProviderTimeoutError(f"{provider} timed out at {endpoint}", **where)
    if isinstance(exc, sdk.APIConnectionError):
        # The SDKs wrap the transport error; a body cut short is a malformed reply, not an outage.
        cause = exc.__cause__ or exc.__context__
        if cause is not None and _is_http_error(cause):
            return map_transport_error(cause, provider=provider, model=model, endpoint=endpoint)
        return UnavailableError(f"{provider} unreachable at {endpoint}: {exc}", **where)
    if isinstance(exc, sdk.APIStatusError):
        body_msg = _body_message(getattr(exc, "body", None)) or str(exc)
        return from_status(
            exc.status_code,
            body_msg,
            dict(exc.response.headers),
            provider=provider,
            model=model,
            secret=secret,
        )
    if isinstance(exc, sdk.APIResponseValidationError | json.JSONDecodeError | ValueError):
        return MalformedResponseError(
            scrub(f"{provider} sent a malformed response: {exc}", secret)[:500], **where
        )
    if isinstance(exc, httpx.HTTPError) or _is_http_error(exc):
        return map_transport_error(exc, provider=provider, model=model, endpoint=endpoint)
    return MalformedResponseError(
        scrub(f"{provider}: unexpected {type(exc).__name__}: {exc}", secret)[:500], **where
    )


def map_transport_error(
    exc: BaseException, *, provider: str, model: str, endpoint: str
) -> ProviderError:
    """A transport failure (often mid-stream, where the SDKs re-raise it untouched)."""
    where = {"provider": provider, "model": model}
    names = {cls.__name__ for cls in type(exc).__mro__}
    if any("Timeout" in name for name in names):
        return ProviderTimeoutError(f"{provider} timed out at {endpoint}", **where)
    if "RemoteProtocolError" in names:
        return MalformedResponseError(
            f"{provider} at {endpoint}: truncated response ({type(exc).__name__})", **where
        )
    return UnavailableError(f"{provider} unreachable at {endpoint}: {type(exc).__name__}", **where)


def _is_http_error(exc: BaseException) -> bool:
    """httpx2 (the newer SDKs' transport) mirrors httpx's names without sharing classes."""
    return any(
        cls.__module__.split(".")[0] in ("httpx", "httpx2", "httpcore", "httpcore2")
        for cls in type(exc).__mro__
    )


def _body_message(body: object) -> str:
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            return str(err.get("message") or err.get("type") or err)
        return str(err)
    return str(body) if body else ""
