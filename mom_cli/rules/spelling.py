"""Which known name a misspelt one meant, for every language's rules: Python's
undefined names and attributes, node's `ReferenceError`, and the like."""

from __future__ import annotations

from collections.abc import Iterable


def osa_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insert, delete, substitute, swap neighbours."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def name_score(name: str, candidate: str) -> tuple[float, int]:
    """How far `candidate` is from `name`, smaller is closer: the case-blind distance
    (an exact case-blind match counts half a step), then the case-aware one, which
    breaks ties the way CPython's "Did you mean" does (`Pth` → `Path`, not `path`)."""
    blind = osa_distance(name.lower(), candidate.lower())
    return blind - (0.5 if name.lower() == candidate.lower() else 0), osa_distance(name, candidate)


def closest_name(name: str, candidates: Iterable[str]) -> str | None:
    """The unique closest candidate within a length-scaled distance, else None."""
    limit = 1 if len(name) <= 5 else 2
    scored = sorted(
        (name_score(name, c), c)
        for c in set(candidates)
        if c != name and abs(len(c) - len(name)) <= limit
    )
    if not scored or scored[0][0][0] > limit:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][1]
