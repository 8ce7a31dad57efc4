"""Passages: each definition's own lines as a BM25 document of its own.

A long utility module matches many task words somewhere; the file whose one function
matches the task is usually the one to edit. So besides the whole-file fields, the index
keeps one document per definition (function, method, class): the words of every
identifier, comment, docstring and string on its lines, without the lines of the
definitions nested in it (a class's passage is its header, docstring and attributes; each
method is a passage of its own), plus the enclosing definition's name and the file's path
words. Lines outside
every definition (imports, constants, the module docstring) are one more passage. A file
scores by its best passage (see `signals.passage_scores`).

Passage rows live in one FTS5 table whose rowid is file_id * PASSAGE_SLOTS + passage
number, so a file's passages are deleted by one rowid range and a hit names its file
without a join.
"""

from __future__ import annotations

from collections.abc import Sequence

from mom_cli.index.words import code_words, identifier_words

PASSAGE_SLOTS = 1 << 16  # passages kept per file; rowid = file_id * PASSAGE_SLOTS + n
MIN_PASSAGE_WORDS = 3  # a passage this short (a one-line stub) says nothing on its own

# (name, kind, line, end_line, scope, signature), as `parse.Parsed.symbols` holds them
Symbol = tuple[str, str, int, int, str, str]


def passage_texts(source: bytes, symbols: Sequence[Symbol], path_words: str = "") -> list[str]:
    """The words of each passage of one file (see the module docstring), in line order,
    each led by `path_words`: a passage is about its module too, and a file never names
    itself (without them, `from lib.strutils import pad` in core.py is the best passage
    for "strutils")."""
    lines = source.split(b"\n")
    owner = [-1] * (len(lines) + 1)  # 1-based line → index of its innermost definition
    # Outer definitions come first in source order; an inner one overwrites their lines.
    ordered = sorted(range(len(symbols)), key=lambda i: (symbols[i][2], -symbols[i][3]))
    for index in ordered:
        _name, _kind, first, last, _scope, _sig = symbols[index]
        for line in range(max(first, 1), min(last, len(lines)) + 1):
            owner[line] = index
    spans: dict[int, list[bytes]] = {}
    for line in range(1, len(lines) + 1):
        spans.setdefault(owner[line], []).append(lines[line - 1])
    out: list[str] = []
    for index, chunk in spans.items():
        words = code_words(b"\n".join(chunk))
        if not words or words.count(" ") + 1 < MIN_PASSAGE_WORDS:
            continue
        if index >= 0 and symbols[index][4]:
            words = f"{identifier_words([symbols[index][4]])} {words}"
        out.append(f"{path_words} {words}" if path_words else words)
        if len(out) >= PASSAGE_SLOTS:
            break
    return out


def passage_rows(file_id: int, texts: Sequence[str]) -> list[tuple[int, str]]:
    """(rowid, words) rows of one file's passages for the `passages` table."""
    base = file_id * PASSAGE_SLOTS
    return [(base + n, words) for n, words in enumerate(texts)]


def file_of(rowid: int) -> int:
    return rowid // PASSAGE_SLOTS
