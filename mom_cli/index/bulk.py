"""The cold build: every file is new, so rows are written in bulk and edges linked from memory.

Reading 400k reference rows back out of SQLite to link the graph cost as much as writing
them; the cold build keeps (name, count) per file and the definers of each name as they
stream in from the parse workers instead.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import TYPE_CHECKING

from mom_cli.index import graph
from mom_cli.index.passages import passage_rows
from mom_cli.index.store import insert_lexicon, insert_passages, insert_refs, insert_symbols

if TYPE_CHECKING:
    from mom_cli.index.parse import Parsed

FLUSH_FILES = 256  # rows are written every this many files, bounding memory


class BulkWriter:
    """Collects parse results into row lists and writes them with few executemany calls."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        row = conn.execute("SELECT coalesce(max(id), 0) FROM files").fetchone()
        self.next_id = int(row[0]) + 1
        self.files: list[tuple[object, ...]] = []
        self.symbols: list[tuple[object, ...]] = []
        self.refs: list[tuple[object, ...]] = []
        self.lexicon: list[tuple[object, ...]] = []
        self.passages: list[tuple[int, str]] = []
        self.refs_by_file: dict[int, list[tuple[str, int]]] = {}
        self.definers: dict[str, set[int]] = defaultdict(set)

    def add(self, parsed: Parsed) -> int:
        """Queue one file's rows; returns the id it will have."""
        file_id = self.next_id
        self.next_id += 1
        self.files.append(
            (file_id, parsed.path, parsed.language, parsed.mtime_ns, parsed.size, parsed.hash,
             parsed.status, parsed.note, parsed.lines)
        )  # fmt: skip
        for symbol in parsed.symbols:
            self.symbols.append((file_id, *symbol))
            self.definers[symbol[0]].add(file_id)
        self.refs.extend((file_id, *ref) for ref in parsed.refs)
        self.refs_by_file[file_id] = [(name, count) for name, count, _ in parsed.refs]
        if parsed.status in ("ok", "partial"):
            self.lexicon.append((file_id, *parsed.words))
            self.passages.extend(passage_rows(file_id, parsed.passages))
        if len(self.files) >= FLUSH_FILES:
            self.flush()
        return file_id

    def flush(self) -> None:
        self.conn.executemany(
            "INSERT INTO files (id, path, language, mtime_ns, size, hash, status, note, lines) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.files,
        )
        insert_symbols(self.conn, self.symbols)
        insert_refs(self.conn, self.refs)
        insert_lexicon(self.conn, self.lexicon)
        insert_passages(self.conn, self.passages)
        self.files, self.symbols, self.refs, self.lexicon = [], [], [], []
        self.passages = []

    def link(self) -> int:
        """Write what is queued, then every edge; returns the edge count."""
        self.flush()
        definers = {name: sorted(ids) for name, ids in self.definers.items()}
        refs = {
            src: [item for item in items if item[0] in definers]
            for src, items in self.refs_by_file.items()
        }
        return graph.link_all(self.conn, refs, definers)
