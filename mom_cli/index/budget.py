"""Pricing pieces of context against a token budget, without measuring any text twice.

`mom context` fills a budget with excerpts. The token estimate (see tokens.py) is additive
over lines and across the ":", "-" and space between a header's parts, so a piece is
priced from its parts, a prefix of an excerpt is chosen by binary search, and a piece that
cannot fit is usually rejected from its header alone.
"""

from __future__ import annotations

from itertools import accumulate

from mom_cli.index.tokens import estimate_tokens

MAX_EXCERPT_LINES = 60
# "\n… (N more lines)" without N: the newline, "…", "(", "more", "lines", ")".
_TAIL_TOKENS = 1 + estimate_tokens("… ( more lines)")
# No piece costs less: "==", ":", "-", a path, two line numbers, kind, name, one line.
MIN_PIECE_TOKENS = 10
# Below a piece's "== {path}:" part: two line numbers, "-", a label word, a line's newline.
HEADER_FLOOR = 5


class Budget:
    """Pieces joined by newlines: each costs its own tokens plus one for the separator.
    What was taken is the estimate of the joined text, so that is never measured again."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.left = budget
        self.first = True

    @property
    def used(self) -> int:
        return self.budget - self.left

    def fits(self, tokens: int) -> bool:
        return tokens + (0 if self.first else 1) <= self.left

    def take(self, tokens: int) -> None:
        self.left -= tokens + (0 if self.first else 1)
        self.first = False


def path_cost(path: str, costs: dict[str, int]) -> int:
    """The tokens of "== {path}:", measured once per path and build.

    A piece's header is "== {path}:{start}-{end} {label}". Its parts meet at ":", "-" and a
    space, where the estimate is additive (see tokens.py), so the header costs this, plus
    each line number's `number_tokens`, plus one for "-", plus the estimate of " {label}".
    """
    cost = costs.get(path)
    if cost is None:
        cost = costs[path] = estimate_tokens(f"== {path}:")
    return cost


def fit_excerpt(
    path: str, start: int, body: list[str], label: str, head: int, left: Budget
) -> tuple[str, int, int] | None:
    """The longest line-prefix of `body` (≤ MAX_EXCERPT_LINES) whose piece fits the budget.

    Costs are additive over lines (see tokens.py), so a piece is priced from its parts: the
    header without its end line, each line, the "more lines" tail without its number. The
    whole excerpt is measured in one call; lines are priced one by one only when it does
    not fit and a prefix must be chosen. The piece's cost is that price, never a second pass
    over its text (tests check it equals `estimate_tokens(piece)`). `head` is the header's
    cost without its line numbers (see `path_cost`).
    """
    limit = min(len(body), MAX_EXCERPT_LINES)
    if limit < 1:
        return None
    fixed = head + number_tokens(start)

    def price(count: int, lines_cost: int) -> int:
        more = len(body) - count
        tail = _TAIL_TOKENS + number_tokens(more) if more else 0
        return fixed + number_tokens(start + count - 1) + lines_cost + tail

    first = estimate_tokens(body[0]) + 1  # +1: its newline
    if not left.fits(price(1, first)) and not left.fits(price(limit, first + limit - 1)):
        # Neither one line nor the whole excerpt fits (each further line costs at least its
        # newline): the common case once the budget runs low, decided without measuring the
        # body. (The whole can cost less than one line, as it needs no "more lines" tail.)
        return None
    count = limit
    lines_cost = estimate_tokens("\n".join(body[:limit])) + 1  # +1: the newline before it
    if not left.fits(price(limit, lines_cost)):
        if not left.fits(price(1, first)):
            return None
        costs = list(accumulate([first, *(estimate_tokens(line) + 1 for line in body[1:limit])]))
        lo, hi = 1, limit - 1
        while lo < hi:  # the price grows with count: binary search the largest that fits
            mid = (lo + hi + 1) // 2
            if left.fits(price(mid, costs[mid - 1])):
                lo = mid
            else:
                hi = mid - 1
        count, lines_cost = lo, costs[lo - 1]
    more = len(body) - count
    tail = [f"… ({more} more lines)"] if more else []
    piece = "\n".join([f"== {path}:{start}-{start + count - 1} {label}", *body[:count], *tail])
    return piece, start + count - 1, price(count, lines_cost)  # == estimate_tokens(piece)


def number_tokens(number: int) -> int:
    return (len(str(number)) + 3) // 4


def add_lines(lines: list[str], left: Budget, pieces: list[str]) -> int:
    """Add the longest prefix of `lines` that fits as one piece; returns lines used."""
    count = len(lines)
    while count > 0:
        piece = "\n".join(lines[:count])
        cost = estimate_tokens(piece)
        if left.fits(cost):
            left.take(cost)
            pieces.append(piece)
            return count
        count = count - max(1, count // 4)
    return 0
