"""Read, hash and tag one file: the unit of work a parse worker runs.

Failures become data (a status and a note), never exceptions, so one bad file cannot stop
an index run and the caller can say exactly what happened to it.
"""

from __future__ import annotations

import hashlib
import os

from mom_cli.index.passages import passage_texts
from mom_cli.index.tags import extract
from mom_cli.index.words import code_words, identifier_words, path_words, text_words

BINARY_PROBE = 8192


class Parsed:
    """The result for one file, ready to be written to the store.

    Filled in as the parse goes and pickled back from the workers: a plain slotted class,
    which pickles as is (see `tags` for why the index modules use no dataclasses).
    """

    __slots__ = (
        "path",
        "language",
        "mtime_ns",
        "size",
        "hash",
        "status",
        "note",
        "lines",
        "symbols",
        "refs",
        "words",
        "passages",
    )

    def __init__(
        self,
        path: str,
        language: str,
        mtime_ns: int,
        size: int,
        hash: str = "",
        status: str = "ok",  # ok | partial | unreadable | binary | unchanged
        note: str = "",
        lines: int = 0,
        symbols: list[tuple[str, str, int, int, str, str]] | None = None,
        refs: list[tuple[str, int, str]] | None = None,
        words: tuple[str, str, str, str] = ("", "", "", ""),
        passages: list[str] | None = None,
    ) -> None:
        self.path = path
        self.language = language
        self.mtime_ns = mtime_ns
        self.size = size
        self.hash = hash
        self.status = status
        self.note = note
        self.lines = lines
        self.symbols: list[tuple[str, str, int, int, str, str]] = [] if symbols is None else symbols
        self.refs: list[tuple[str, int, str]] = [] if refs is None else refs
        self.words = words
        self.passages: list[str] = [] if passages is None else passages  # see `passages`


def parse_file(
    root: str, path: str, language: str, mtime_ns: int, size: int, known_hash: str = ""
) -> Parsed:
    """Tag one file. `known_hash` lets an identical-content file skip the parse."""
    out = Parsed(path, language, mtime_ns, size)
    try:
        with open(os.path.join(root, path), "rb") as handle:
            data = handle.read()
    except OSError as exc:
        out.status, out.note = "unreadable", f"cannot read: {exc.strerror or exc}"
        return out
    out.size = len(data)
    out.hash = hashlib.blake2b(data, digest_size=16).hexdigest()
    if known_hash and out.hash == known_hash:
        out.status = "unchanged"
        return out
    if b"\0" in data[:BINARY_PROBE]:
        out.status, out.note = "binary", "binary content (NUL bytes)"
        return out
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.note = f"not valid UTF-8 at byte {exc.start}; indexed with replacement characters"
    tags = extract(data, language)
    out.lines = tags.line_count
    if tags.error_line is not None:
        out.status = "partial"
        note = f"syntax error near line {tags.error_line}; indexed what parses"
        out.note = f"{out.note}; {note}" if out.note else note
    out.symbols = [
        (d.name, d.kind, d.line, d.end_line, d.scope, d.signature) for d in tags.definitions
    ]
    out.refs = [
        (name, tags.reference_counts[name], str(line)) for name, line in tags.references.items()
    ]
    words_of_path = path_words(path)
    out.words = (
        words_of_path,
        identifier_words([d.name for d in tags.definitions]),
        code_words(data),
        text_words(tags.text),
    )
    out.passages = passage_texts(data, out.symbols, words_of_path)
    return out


def parse_batch(root: str, jobs: list[tuple[str, str, int, int, str]]) -> list[Parsed]:
    """Worker entry point: a batch amortises the per-task pickling overhead."""
    return [parse_file(root, *job) for job in jobs]
