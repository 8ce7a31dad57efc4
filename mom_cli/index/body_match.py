"""Which of a task's words a stretch of source lines holds, compared by a light stem.

`mom context` uses it to order the definitions inside its best files: the one whose code,
docstring or comments hold the task's words comes first, whatever its name.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache

from mom_cli.index.words import split_identifier

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def lines_holding(lines: list[str], wanted: set[str]) -> dict[str, list[int]]:
    """For each wanted stem, the (1-based, ascending) lines whose identifiers hold it.
    A stem is a prefix of its words, so only the places where it occurs as a substring
    are looked at: the identifier around each is split and stemmed to confirm."""
    text = "\n".join(lines)
    lower = text.lower()
    where: dict[str, list[int]] = {}
    for word in wanted:
        numbers: list[int] = []
        line, counted = 1, 0  # `line` holds offset `counted`: newlines are counted, in C,
        at = lower.find(word)  # only up to each place the word occurs
        while at != -1:
            first = at
            while first and (lower[first - 1].isalnum() or lower[first - 1] == "_"):
                first -= 1
            match = _IDENT.match(text, first)
            last = match.end() if match else at + len(word)
            if match and word in _stems(match.group()):
                line += lower.count("\n", counted, at)
                counted = at
                if not numbers or numbers[-1] != line:
                    numbers.append(line)
            at = lower.find(word, max(last, at + 1))
        if numbers:
            where[word] = numbers
    return where


def words_between(where: dict[str, list[int]], first: int, last: int) -> int:
    """How many of `lines_holding`'s words occur on lines first..last."""
    count = 0
    for numbers in where.values():
        at = bisect.bisect_left(numbers, first)
        count += at < len(numbers) and numbers[at] <= last
    return count


@lru_cache(maxsize=1 << 14)
def _stems(identifier: str) -> frozenset[str]:
    """The stems of an identifier's words: a file names the same identifiers again and
    again, so each is split once."""
    return frozenset(stem(w) for w in split_identifier(identifier))


@lru_cache(maxsize=1 << 14)
def stem(word: str) -> str:
    """A light English stem (escape, escapes, escaped, escaping → escap; string, strings →
    string), enough to match a task's words with the code's; the BM25 index uses the
    porter stemmer for the same reason. Lower-case input. Always a prefix of the word, so
    `lines_holding` can look for it as a substring."""
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    for suffix in ("ing", "ed"):
        base = word[: -len(suffix)]
        if word.endswith(suffix) and len(base) >= 3 and any(v in base for v in "aeiouy"):
            word = base
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word
