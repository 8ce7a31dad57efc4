"""The single retry policy: Retry-After honoured, bounded jittered backoff, cooldowns."""

from __future__ import annotations

from mom_cli.errors import AuthError, RateLimitedError, UnavailableError
from mom_cli.providers.retry import EndpointHealth, RetryPolicy


def test_retry_after_is_honoured_exactly() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert policy.delay(1, RateLimitedError("429", retry_after=1.5)) == 1.5


def test_too_long_retry_after_is_not_waited_for() -> None:
    policy = RetryPolicy(max_retry_after=10)
    assert policy.delay(1, RateLimitedError("429", retry_after=3600)) is None


def test_backoff_grows_is_jittered_and_bounded() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=1.0, max_delay=4.0, jitter=0.25)
    err = UnavailableError("500")
    assert policy.delay(1, err, rand=lambda: 0.5) == 1.0
    assert policy.delay(2, err, rand=lambda: 0.5) == 2.0
    assert policy.delay(2, err, rand=lambda: 1.0) == 2.5
    assert policy.delay(2, err, rand=lambda: 0.0) == 1.5
    assert policy.delay(9, err, rand=lambda: 0.5) == 4.0


def test_attempts_are_bounded_and_escalations_not_retried() -> None:
    policy = RetryPolicy(max_attempts=2)
    assert policy.delay(2, UnavailableError("500")) is None
    assert policy.delay(1, AuthError("401")) is None


def test_endpoint_cools_down_after_consecutive_failures() -> None:
    now = [100.0]
    health = EndpointHealth(RetryPolicy(cooldown_after=2, cooldown_seconds=30), lambda: now[0])
    key = ("groq", "http://x")
    health.failed(key, UnavailableError("500"))
    assert health.cooling(key) == 0
    health.failed(key, UnavailableError("500 again"))
    assert health.cooling(key) == 30
    assert "2 failure(s)" in health.why(key) and "500 again" in health.why(key)
    now[0] += 31
    assert health.cooling(key) == 0
    health.succeeded(key)
    assert health.why(key) == ""


def test_long_retry_after_cools_down_at_once() -> None:
    health = EndpointHealth(RetryPolicy(max_retry_after=10), lambda: 0.0)
    health.failed(("p", "e"), RateLimitedError("429", retry_after=120))
    assert health.cooling(("p", "e")) == 120


def test_rejected_key_cools_down_at_once() -> None:
    health = EndpointHealth(RetryPolicy(cooldown_seconds=60), lambda: 0.0)
    health.failed(("groq", "e"), AuthError("HTTP 401: bad key"))
    assert health.cooling(("groq", "e")) == 60 and "AuthError" in health.why(("groq", "e"))
