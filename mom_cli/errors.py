"""One exception tree for mom. Each type says what the caller should do about it.

MomError                      (action)
├── ConfigError               stop      bad routing.toml / flags → exit 2
├── UsageError                stop      bad command-line input → exit 2
├── ProviderError             (varies)  a model call failed
│   ├── AuthError             escalate  key missing or rejected: this tier is unusable
│   ├── RateLimitedError      cool_down honour retry_after, then retry
│   ├── ProviderTimeoutError  retry     the call hung past its timeout
│   ├── ContextOverflowError  escalate  prompt too large for this model
│   ├── UnavailableError      retry     5xx, connection refused, no server
│   └── MalformedResponseError retry    bad JSON, truncated stream
├── BudgetExceededError       stop      spending would pass the stop threshold → exit 3
├── QuotaExhaustedError       escalate  provider's daily request quota used up
├── EditError                 escalate  a model's edit could not be parsed or applied
│   └── PathEscapeError       escalate  an edit tried to leave the repository
├── PlanError                 stop      malformed plan / milestone file → exit 2
├── LockedError               stop      another mom process holds the repo lock → exit 2
└── ValidationFailed          stop      work done, checks still fail → exit 1
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What the retry loop should do with an error."""

    RETRY = "retry"
    COOL_DOWN = "cool_down"
    ESCALATE = "escalate"
    STOP = "stop"


class ExitCode:
    """The CLI contract's exit codes."""

    OK = 0
    FAILED = 1
    USAGE = 2
    BUDGET = 3
    INTERRUPTED = 130


class MomError(Exception):
    """Base of every error mom raises on purpose."""

    action: Action = Action.STOP
    exit_code: int = ExitCode.FAILED


class ConfigError(MomError):
    """routing.toml, environment or flags are invalid."""

    exit_code = ExitCode.USAGE


class UsageError(MomError):
    """The user asked for something that cannot be done as asked."""

    exit_code = ExitCode.USAGE


class PlanError(MomError):
    """A plan or milestone file is malformed."""

    exit_code = ExitCode.USAGE


class LockedError(MomError):
    """Another mom process is working on this repository."""

    exit_code = ExitCode.USAGE


class ProviderError(MomError):
    """A model call failed. `provider`/`model` say where."""

    action = Action.RETRY

    def __init__(self, message: str, *, provider: str = "", model: str = "") -> None:
        super().__init__(message)
        self.provider = provider
        self.model = model


class AuthError(ProviderError):
    action = Action.ESCALATE


class RateLimitedError(ProviderError):
    action = Action.COOL_DOWN

    def __init__(
        self, message: str, *, retry_after: float | None = None, provider: str = "", model: str = ""
    ) -> None:
        super().__init__(message, provider=provider, model=model)
        self.retry_after = retry_after


class ProviderTimeoutError(ProviderError):
    action = Action.RETRY


class ContextOverflowError(ProviderError):
    action = Action.ESCALATE


class UnavailableError(ProviderError):
    action = Action.RETRY


class MalformedResponseError(ProviderError):
    action = Action.RETRY


class QuotaExhaustedError(ProviderError):
    action = Action.ESCALATE


class BudgetExceededError(MomError):
    """A paid call would pass the stop threshold."""

    action = Action.STOP
    exit_code = ExitCode.BUDGET


class EditError(MomError):
    """A model's edit could not be parsed or applied; the retry prompt gets `detail`."""

    action = Action.ESCALATE

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class PathEscapeError(EditError):
    """An edit named a path outside the repository, inside .git/, or through a symlink."""


class ValidationFailed(MomError):
    """The work ran, but build/tests/lint still fail."""

    exit_code = ExitCode.FAILED
