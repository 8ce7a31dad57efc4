"""Apply one EditBlock to a file's text, tolerating the whitespace drift models produce.

Matching is tried from strict to loose, and every level must match exactly one place:
1. exact text;
2. line by line ignoring trailing whitespace;
3. line by line ignoring indentation, re-indenting the replacement by the same offset.
A miss raises EditError whose `detail` shows the nearest lines of the file (difflib),
numbered, so the retry prompt can show the model what the file really says.
"""

from __future__ import annotations

import difflib
import heapq
from collections.abc import Callable
from dataclasses import replace as with_fields

from mom_cli.edits.blocks import EditBlock
from mom_cli.errors import EditError

_MAX_DETAIL_LINES = 30
_MAX_COMPARED_CHARS = 2000  # per side of one difflib comparison (its cost is quadratic)
_FINALISTS = 5  # windows compared with difflib after the cheap scoring
_PAIR_CHARS = 200  # of each line, for the cheap scoring


def apply_block(content: str | None, block: EditBlock) -> str:
    """The new text of the file after `block`; `content` is None for a missing file.

    A CRLF file keeps CRLF: the match runs on LF text, with the block's own line endings
    normalised too (rules quote the raw CRLF text, models usually write LF), and the result
    is converted back once. A file mixing both endings is matched as it is, so the lines
    the edit does not touch keep their endings byte for byte.
    """
    crlf = content is not None and _is_crlf(content)
    if block.whole_file:
        return _to_crlf(block.replace) if crlf else block.replace
    if not block.search.strip():
        if content is None or not content.strip():
            return block.replace
        raise EditError(
            f"{block.path}: empty SEARCH on an existing file",
            detail=f"{block.path} already exists, so SEARCH must quote the lines to change "
            "(or give the whole file in one fenced block if it is small).",
        )
    if content is None:
        raise EditError(
            f"{block.path}: no such file",
            detail=f"{block.path} does not exist. To create it, leave SEARCH empty.",
        )
    if not crlf:
        return _replace_once(content, block)
    lf = with_fields(block, search=_to_lf(block.search), replace=_to_lf(block.replace))
    return _to_crlf(_replace_once(_to_lf(content), lf))


def _is_crlf(text: str) -> bool:
    """Every line ends in CRLF (and there is at least one line break)."""
    return "\r\n" in text and text.count("\n") == text.count("\r\n")


def _to_lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def _to_crlf(text: str) -> str:
    return _to_lf(text).replace("\n", "\r\n")


def _replace_once(text: str, block: EditBlock) -> str:
    search, replace = block.search, block.replace
    count = text.count(search)
    if count == 1:
        return text.replace(search, replace, 1)
    if count > 1:
        raise _ambiguous(block, count)
    lines = text.splitlines(keepends=True)
    want = search.splitlines()
    for normalise in (str.rstrip, str.strip):
        hits = _line_matches(lines, want, normalise)
        if len(hits) > 1:
            raise _ambiguous(block, len(hits))
        if hits:
            start = hits[0]
            end = start + len(want)
            new = _reindent(replace, lines[start], want[0]) if normalise is str.strip else replace
            if new and not new.endswith("\n") and end < len(lines):
                new += "\n"
            return "".join(lines[:start]) + new + "".join(lines[end:])
    raise EditError(
        f"{block.path}: SEARCH text not found",
        detail=nearest_lines(text, search, block.path),
    )


def _line_matches(lines: list[str], want: list[str], normalise: Callable[[str], str]) -> list[int]:
    target = [normalise(w) for w in want]
    have = [normalise(line) for line in lines]
    n = len(target)
    if n == 0:
        return []
    return [i for i in range(len(have) - n + 1) if have[i : i + n] == target]


def _reindent(replace: str, file_line: str, search_line: str) -> str:
    """Shift `replace` by the indentation difference between the file and the SEARCH text."""
    have = len(file_line) - len(file_line.lstrip())
    said = len(search_line) - len(search_line.lstrip())
    pad = file_line[:have]
    if have == said:
        return replace
    out = []
    for line in replace.splitlines(keepends=True):
        if not line.strip():
            out.append(line)
        elif have > said:
            out.append(pad[: have - said] + line)
        else:
            cut = min(said - have, len(line) - len(line.lstrip()))
            out.append(line[cut:])
    return "".join(out)


def _ambiguous(block: EditBlock, count: int) -> EditError:
    return EditError(
        f"{block.path}: SEARCH text matches {count} places",
        detail=f"The SEARCH text for {block.path} matches {count} places. Include more "
        "surrounding lines so it matches exactly one.",
    )


def nearest_lines(text: str, search: str, path: str = "") -> str:
    """A retry-prompt paragraph: the window of `text` most like `search`, with line numbers.

    Every window is first scored cheaply (how many of its lines' character pairs occur in
    SEARCH: one pass over the file), and only the best few are compared character by
    character (difflib), on the shown part only: difflib on every window of a large file
    kept one bad reply busy for many minutes."""
    lines = text.splitlines()
    want = search.splitlines()[:_MAX_DETAIL_LINES]
    size = max(1, len(want))
    starts = range(0, max(1, len(lines) - size + 1))
    wanted = frozenset().union(*(_pairs(line) for line in want))
    running = [0.0]  # running[i]: how much of lines[:i] looks like SEARCH
    for line in lines:
        pairs = _pairs(line)
        running.append(running[-1] + len(pairs & wanted) / len(pairs))

    def rough(start: int) -> float:
        return running[min(start + size, len(lines))] - running[start]

    best_ratio, best_start = 0.0, 0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2("\n".join(want)[:_MAX_COMPARED_CHARS])
    for start in sorted(heapq.nlargest(_FINALISTS, starts, key=rough)):
        matcher.set_seq1("\n".join(lines[start : start + size])[:_MAX_COMPARED_CHARS])
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best_ratio, best_start = ratio, start
    window = lines[best_start : best_start + min(size, _MAX_DETAIL_LINES)]
    where = f" in {path}" if path else ""
    if not lines:
        return f"The SEARCH text was not found{where}: the file is empty."
    shown = "\n".join(f"{best_start + k + 1:>5} | {line}" for k, line in enumerate(window))
    return (
        f"The SEARCH text was not found{where}. The closest lines "
        f"({best_ratio:.0%} similar) are:\n{shown}\n"
        "Copy SEARCH from these lines exactly, including indentation."
    )


def _pairs(line: str) -> frozenset[str]:
    """The character pairs of a line without its indentation (the cheap similarity)."""
    text = line.strip()[:_PAIR_CHARS]
    return frozenset(text[i : i + 2] for i in range(len(text) - 1)) or frozenset((text,))
