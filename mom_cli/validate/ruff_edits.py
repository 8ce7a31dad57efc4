"""ruff's fix edits: applying them, and what a finding's fix hint may truthfully say.

ruff marks each fix "safe", "unsafe" or "display-only". mom applies a safe fix as any
autofix; an unsafe one only when every check passes afterwards (rules.python_ruff, a
strict rule); and never one that deletes a call the user wrote. The hint on a finding
says which of these it is, so "autofix available" is not promised where mom will not
apply the fix (or only under a condition).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_EOL = re.compile(r"\r\n|\r|\n")
# `print(...)`, `obj.save()`, `f(x)(y)`: something is called.
_CALL = re.compile(r"[\w)\]]\s*\(")

SAFE_HINT = " (autofix available)"
UNSAFE_HINT = " (unsafe autofix: kept only if every check passes)"
DELETES_A_CALL_HINT = " (deletes a call: mom leaves that to you)"


def fix_hint(item: dict[str, Any], source: Callable[[], str | None]) -> str:
    """The hint for one ruff finding (JSON item); `source` reads the linted text, needed
    only for an unsafe fix."""
    fix = item.get("fix") or {}
    applicability = fix.get("applicability")
    if not fix or applicability == "display-only":
        return ""
    if applicability != "unsafe":
        return SAFE_HINT  # "safe", or an older ruff that does not say
    text = source()
    if text is not None and deletes_a_call(text, fix.get("edits") or []):
        return DELETES_A_CALL_HINT
    return UNSAFE_HINT


def edit_spans(source: str, edits: list[dict[str, Any]]) -> list[tuple[int, int, str]] | None:
    """ruff's edits (1-based row/column, in characters) as (start, end, content) offsets
    into `source`; None when an edit falls outside the text."""
    starts = [0] + [m.end() for m in _EOL.finditer(source)]

    def offset(loc: dict[str, Any]) -> int | None:
        row, col = int(loc.get("row") or 0), int(loc.get("column") or 0)
        if row == len(starts) + 1 and col == 1 and not source.endswith(("\n", "\r")):
            return len(source)
        if not 1 <= row <= len(starts) or col < 1:
            return None
        at = starts[row - 1] + col - 1
        return at if at <= len(source) else None

    spans = []
    for edit in edits:
        lo, hi = offset(edit.get("location") or {}), offset(edit.get("end_location") or {})
        if lo is None or hi is None or hi < lo:
            return None
        spans.append((lo, hi, str(edit.get("content") or "")))
    return spans


def apply_ruff_edits(source: str, edits: list[dict[str, Any]]) -> str | None:
    """Apply ruff's edits to `source`; None when an edit falls outside the text or edits
    overlap."""
    spans = edit_spans(source, edits)
    if spans is None:
        return None
    out, last = source, len(source) + 1
    for lo, hi, content in sorted(spans, reverse=True):
        if hi > last:
            return None
        out, last = out[:lo] + content + out[hi:], lo
    return out


def deletes_a_call(source: str, edits: list[dict[str, Any]]) -> bool:
    """Does a fix delete code that runs? ruff's unsafe fix for T201 removes the `print()`
    the user wrote; a scratch script no test covers passes every check afterwards, and
    its now-unused import went too: sloria/environs's `try_env.py` became an empty file."""
    spans = edit_spans(source, edits) or []
    return any(not content and _CALL.search(source[lo:hi]) for lo, hi, content in spans)
