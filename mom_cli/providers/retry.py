"""mom's single retry policy. The SDKs run with max_retries=0; this decides everything.

- `RetryPolicy.delay(attempt, error)` says whether to try again and after how long:
  Retry-After when the server gave one (capped), else exponential backoff with jitter.
  Errors whose action is escalate/stop are never retried here: the ladder handles them.
- `EndpointHealth` counts consecutive failures per endpoint and cools an endpoint down
  for a while after `cooldown_after` of them (at once for a rejected key, or when a
  Retry-After is too long to wait),
  so the pool sends the next call elsewhere and `availability` can say why.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mom_cli.errors import Action, AuthError, ProviderError, RateLimitedError


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3  # attempts per call on one tier, the first included
    base_delay: float = 0.25  # seconds before the first retry
    max_delay: float = 8.0  # cap on any single backoff
    jitter: float = 0.25  # ± fraction of the delay, so clients do not retry in lockstep
    max_retry_after: float = 30.0  # a longer Retry-After cools the endpoint down instead
    cooldown_after: int = 3  # consecutive failures before an endpoint cools down
    cooldown_seconds: float = 60.0

    def delay(
        self, attempt: int, error: ProviderError, rand: Callable[[], float] = random.random
    ) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to stop retrying here."""
        if attempt >= self.max_attempts or error.action in (Action.ESCALATE, Action.STOP):
            return None
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            return error.retry_after
        backoff = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        spread = backoff * self.jitter * (2 * rand() - 1)
        return max(0.0, backoff + spread)


@dataclass
class _State:
    failures: int = 0
    cool_until: float = 0.0
    last_error: str = ""


@dataclass
class EndpointHealth:
    """Consecutive-failure counts and cooldowns, keyed by (provider, endpoint)."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Callable[[], float] = time.monotonic
    _states: dict[tuple[str, str], _State] = field(default_factory=dict)

    def _state(self, key: tuple[str, str]) -> _State:
        return self._states.setdefault(key, _State())

    def succeeded(self, key: tuple[str, str]) -> None:
        self._states.pop(key, None)

    def failed(self, key: tuple[str, str], error: ProviderError) -> None:
        state = self._state(key)
        state.failures += 1
        state.last_error = f"{type(error).__name__}: {error}"
        retry_after = error.retry_after if isinstance(error, RateLimitedError) else None
        if retry_after is not None and retry_after > self.policy.max_retry_after:
            state.cool_until = self.clock() + retry_after
        elif isinstance(error, AuthError) or state.failures >= self.policy.cooldown_after:
            # a rejected key will not start working on the next call
            state.cool_until = self.clock() + self.policy.cooldown_seconds

    def cooling(self, key: tuple[str, str]) -> float:
        """Seconds of cooldown left (0 when the endpoint may be used)."""
        state = self._states.get(key)
        return max(0.0, state.cool_until - self.clock()) if state else 0.0

    def why(self, key: tuple[str, str]) -> str:
        state = self._states.get(key)
        if not state:
            return ""
        return (
            f"cooling down for {self.cooling(key):.0f}s after {state.failures} "
            f"failure(s), last: {state.last_error}"
        )
