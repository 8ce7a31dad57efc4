"""Learning from outcomes: blend observed success rates into configured affinity.

The configured affinity is a prior worth `prior_weight` observations (a Beta prior with
mean = affinity). Each recorded outcome adds one observation, so the blended score is

    (prior_weight * affinity + successes) / (prior_weight + attempts)

A handful of results barely moves a model; a long run of failures pushes it below the
selector's threshold (so mom stops sending that category there) and a long run of passes
lifts a cheap model above it (so mom starts trusting it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

DEFAULT_PRIOR_WEIGHT = 8.0


class _HasOutcomes(Protocol):
    def outcomes(self, since_ts: float | None = None) -> list[tuple[str, str, bool]]: ...


@dataclass(frozen=True)
class Evidence:
    successes: int
    attempts: int

    @property
    def rate(self) -> float:
        return self.successes / self.attempts if self.attempts else 0.0


class OutcomeStats:
    """Success counts per (model, category); cheap to query on every selection."""

    def __init__(
        self,
        outcomes: Iterable[tuple[str, str, bool]] = (),
        *,
        prior_weight: float = DEFAULT_PRIOR_WEIGHT,
    ) -> None:
        if prior_weight <= 0:
            raise ValueError("prior_weight must be positive")
        self.prior_weight = prior_weight
        self._counts: dict[tuple[str, str], list[int]] = {}
        self.extend(outcomes)

    def record(self, model: str, category: str, success: bool) -> None:
        counts = self._counts.setdefault((model, category), [0, 0])
        counts[0] += int(success)
        counts[1] += 1

    def extend(self, outcomes: Iterable[tuple[str, str, bool]]) -> None:
        for model, category, success in outcomes:
            self.record(model, category, bool(success))

    def evidence(self, model: str, category: str) -> Evidence:
        successes, attempts = self._counts.get((model, category), (0, 0))
        return Evidence(successes, attempts)

    def blend(self, model: str, category: str, prior: float) -> float:
        """Posterior mean success rate with the configured affinity as the prior."""
        successes, attempts = self._counts.get((model, category), (0, 0))
        if not attempts:
            return prior
        return (self.prior_weight * prior + successes) / (self.prior_weight + attempts)

    def __len__(self) -> int:
        return sum(c[1] for c in self._counts.values())

    @classmethod
    def from_sources(
        cls, *sources: _HasOutcomes | None, prior_weight: float = DEFAULT_PRIOR_WEIGHT
    ) -> OutcomeStats:
        """Merge every source that exposes `outcomes()`: the shared ledger, our own store."""
        stats = cls(prior_weight=prior_weight)
        for source in sources:
            if source is not None and hasattr(source, "outcomes"):
                stats.extend(source.outcomes())
        return stats
