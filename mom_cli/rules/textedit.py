"""Helpers rules share: turn "old text → new text" into the smallest unique EditBlock."""

from __future__ import annotations

from mom_cli.edits.blocks import EditBlock


def minimal_block(path: str, old: str, new: str, context: int = 1) -> EditBlock | None:
    """One search/replace block covering every changed line, grown until it is unique.

    Rules compute the whole new file (easy to verify) but propose a small block (easy to
    read in a summary, and applied by the same code path as a model's edit).
    """
    if old == new:
        return None
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    lo = max(0, start - context)
    hi_a, hi_b = min(len(a), end_a + context), min(len(b), end_b + context)
    while True:
        search = "".join(a[lo:hi_a])
        if search.strip() and old.count(search) == 1:
            replace = "".join(b[lo:hi_b])
            return EditBlock(path, search, replace)
        if lo == 0 and hi_a == len(a):
            return EditBlock(path, old, new) if old.strip() else None
        lo = max(0, lo - 1)
        grow = 1 if hi_a < len(a) else 0
        hi_a += grow
        hi_b += grow


def line_start_offsets(text: str) -> list[int]:
    """Offset of the first character of each line (index 0 = line 1)."""
    offsets = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            offsets.append(i + 1)
    return offsets


def replace_line(text: str, lineno: int, new_line: str) -> str:
    """`text` with 1-based line `lineno` replaced by `new_line` (keeps its newline)."""
    lines = text.splitlines(keepends=True)
    if not 1 <= lineno <= len(lines):
        return text
    old = lines[lineno - 1]
    ending = old[len(old.rstrip("\r\n")) :]
    lines[lineno - 1] = new_line.rstrip("\r\n") + ending
    return "".join(lines)


def indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]
