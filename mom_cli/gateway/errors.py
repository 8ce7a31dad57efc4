"""mom's typed errors → OpenAI error responses the `openai` SDK maps to its own types."""

from __future__ import annotations

import math

from mom_cli.errors import (
    BudgetExceededError,
    ContextOverflowError,
    MomError,
    ProviderError,
    ProviderTimeoutError,
    QuotaExhaustedError,
    RateLimitedError,
    UnavailableError,
    UsageError,
)
from mom_cli.gateway.shapes import ApiError

NO_RETRY = {"x-should-retry": "false"}  # the openai SDK would otherwise retry a budget stop


def to_api_error(exc: BaseException) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    text = str(exc) or type(exc).__name__
    if isinstance(exc, BudgetExceededError):
        return ApiError(429, text, "insufficient_quota", "insufficient_quota", headers=NO_RETRY)
    if isinstance(exc, UsageError):
        return ApiError(400, text, "invalid_request_error")
    if isinstance(exc, ContextOverflowError):
        return ApiError(400, text, "invalid_request_error", "context_length_exceeded")
    if isinstance(exc, RateLimitedError):
        wait = exc.retry_after if exc.retry_after is not None else 1.0
        return ApiError(
            429,
            f"upstream rate limit: {text}",
            "rate_limit_exceeded",
            headers={"retry-after": str(max(1, math.ceil(wait)))},
        )
    if isinstance(exc, ProviderTimeoutError):
        return ApiError(504, f"upstream timed out: {text}", "upstream_timeout")
    if isinstance(exc, QuotaExhaustedError | UnavailableError):
        return ApiError(503, text, "service_unavailable")
    if isinstance(exc, ProviderError):
        return ApiError(502, f"upstream error: {text}", "upstream_error")
    if isinstance(exc, MomError):
        return ApiError(500, text, "server_error")
    return ApiError(500, f"internal error ({type(exc).__name__})", "server_error")
