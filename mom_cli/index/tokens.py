"""A conservative, deterministic token estimate with no tokenizer download.

Every word costs one token per 4 characters (at least one), every punctuation mark and
newline one, every run of 2+ spaces one. BPE tokenizers for code land at or below this on
typical source, so a context filled to this estimate stays inside a model's real budget.
The count is additive over lines: tokens(a + "\\n" + b) == tokens(a) + 1 + tokens(b),
which is what lets the context builder cut only at line boundaries and never overshoot.
"""

from __future__ import annotations

import re

# One match per 4-character slice of a word (greedy \w{1,4} cuts a run of n word
# characters into ceil(n/4) matches), per punctuation mark, per newline and per run of 2+
# spaces: counting matches (subn, which builds no list) is the whole estimate, in C.
_PIECES = re.compile(r"\w{1,4}|[^\w\s]|\n|[ \t]{2,}")


def estimate_tokens(text: str) -> int:
    return _PIECES.subn("", text)[1]
