"""A conservative, deterministic token estimate with no tokenizer download.

Every word costs one token per 4 characters (at least one), every punctuation mark and
newline one, every run of 2+ spaces one. BPE tokenizers for code land at or below this on
typical source, so a context filled to this estimate stays inside a model's real budget.
The count is additive over lines: tokens(a + "\\n" + b) == tokens(a) + 1 + tokens(b),
which is what lets the context builder cut only at line boundaries and never overshoot.
"""

from __future__ import annotations

import re

_PIECES = re.compile(r"\w+|[^\w\s]|\n|[ \t]{2,}")


def estimate_tokens(text: str) -> int:
    total = 0
    for match in _PIECES.finditer(text):
        piece = match.group()
        if piece[0].isalnum() or piece[0] == "_":
            total += (len(piece) + 3) // 4
        else:
            total += 1
    return total
