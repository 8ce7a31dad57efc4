"""The persistent cache: one SQLite file in the repo's `.mom/`.

Rows are keyed by path with (mtime, size, content hash), so a refresh can tell unchanged
files from a stat alone and touched-but-identical files from a hash. A file that is not a
database, or one written by another schema version, is thrown away and rebuilt: the cache
holds nothing that cannot be recomputed.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from mom_cli.index.passages import PASSAGE_SLOTS

SCHEMA_VERSION = "7"
DB_NAME = "index.sqlite3"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    language TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    hash TEXT NOT NULL,
    status TEXT NOT NULL,          -- ok | partial (syntax errors) | unreadable
    note TEXT NOT NULL DEFAULT '',
    lines INTEGER NOT NULL DEFAULT 0,
    indeg INTEGER NOT NULL DEFAULT 0,   -- edges into this file (ranking: hub damping)
    inweight REAL NOT NULL DEFAULT 0    -- their total weight (ranking: global prior)
);
CREATE TABLE symbols (
    file_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    scope TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TABLE refs (
    file_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    count INTEGER NOT NULL,
    lines TEXT NOT NULL            -- the first line (1-based) where it is referenced
);
CREATE TABLE edges (src INTEGER NOT NULL, dst INTEGER NOT NULL, weight REAL NOT NULL);
-- Each source's out-edges again, normalized and packed (array 'q' ids, 'd' shares): the
-- ranker reads a few hundred of these per query, one row each instead of 24.
CREATE TABLE adjacency (src INTEGER PRIMARY KEY, dsts BLOB NOT NULL, shares BLOB NOT NULL);
CREATE VIRTUAL TABLE lexicon USING fts5(
    path_words, def_words, code_words, text_words, tokenize = 'porter unicode61'
);
-- One row per definition (see passages.py): rowid = file id * PASSAGE_SLOTS + passage number.
CREATE VIRTUAL TABLE passages USING fts5(words, tokenize = 'porter unicode61');
-- Past commit messages per file, from history reachable from HEAD only (see history.py).
CREATE VIRTUAL TABLE history USING fts5(path UNINDEXED, messages, tokenize = 'porter unicode61');
"""

# Created after the first bulk load (cheaper than maintaining them row by row).
_INDEXES = """
CREATE INDEX IF NOT EXISTS symbols_name ON symbols(name);
CREATE INDEX IF NOT EXISTS symbols_file ON symbols(file_id);
CREATE INDEX IF NOT EXISTS refs_name ON refs(name);
CREATE INDEX IF NOT EXISTS refs_file ON refs(file_id);
CREATE INDEX IF NOT EXISTS edges_src ON edges(src);
CREATE INDEX IF NOT EXISTS edges_dst ON edges(dst);
"""


def ensure_indexes(conn: sqlite3.Connection) -> None:
    for statement in _INDEXES.strip().splitlines():
        conn.execute(statement)


class CorruptIndex(Exception):
    """The cache file is unusable; the caller rebuilds it."""


class FileRow(NamedTuple):
    """One row of the `files` table, as a refresh compares it with the work tree."""

    id: int
    path: str
    language: str
    mtime_ns: int
    size: int
    hash: str
    status: str
    note: str


def db_path(state_dir: Path) -> Path:
    return state_dir / DB_NAME


def open_db(path: Path) -> tuple[sqlite3.Connection, list[str]]:
    """Open (creating or rebuilding as needed) the cache; returns warnings to show."""
    warnings: list[str] = []
    if path.exists():
        conn = _connect(path)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None or row[0] != SCHEMA_VERSION:
                raise CorruptIndex("written by another version")
            done = conn.execute("SELECT value FROM meta WHERE key='complete'").fetchone()
            if done is not None and done[0] != "1":
                raise CorruptIndex("an earlier build was interrupted")
            conn.execute("SELECT count(*) FROM files").fetchone()
            return conn, warnings
        except (sqlite3.DatabaseError, CorruptIndex) as exc:
            conn.close()
            reason = str(exc) or type(exc).__name__
            warnings.append(f"{path}: index cache unusable ({reason}); rebuilding it")
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(path) + suffix).unlink(missing_ok=True)
    conn = _connect(path)
    create_schema(conn)
    return conn, warnings


def create_schema(conn: sqlite3.Connection) -> None:
    """The empty tables (also used for the in-memory index of a first answer)."""
    with conn:
        conn.executescript(_SCHEMA)
        conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))


def is_complete(path: Path) -> bool:
    """Whether `path` holds a finished index of this schema, read-only: unlike `open_db`,
    this never rebuilds, so it is safe while another process is building the file."""
    if not path.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return False
    try:
        rows = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('schema', 'complete')"))
        return rows.get("schema") == SCHEMA_VERSION and rows.get("complete") == "1"
    except sqlite3.Error:
        return False
    finally:
        conn.close()


@contextlib.contextmanager
def bulk_load(conn: sqlite3.Connection, enabled: bool) -> Iterator[None]:
    """An in-memory journal while the cache is built from nothing.

    A crash mid-build leaves a file `open_db` rejects and rebuilds, which is all a cache
    needs; WAL comes back afterwards for the small refreshes that follow.
    """
    if not enabled:
        yield
        return
    with contextlib.suppress(sqlite3.OperationalError):  # another reader: stay in WAL
        conn.execute("PRAGMA journal_mode=MEMORY")
    try:
        yield
    finally:
        with contextlib.suppress(sqlite3.OperationalError):
            conn.execute("PRAGMA journal_mode=WAL")


def _connect(path: Path) -> sqlite3.Connection:
    """WAL, so `mom context` can read while a refresh writes. No fsync: this is a cache, and
    an fsync per refresh would cost more than the whole one-file refresh. SQLite stays
    consistent when a process dies; only an OS crash mid-write can damage the file, and
    `open_db` rebuilds any file SQLite reports as damaged."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    with contextlib.suppress(sqlite3.DatabaseError):  # not a database: open_db rebuilds it
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
    return conn


def load_files(conn: sqlite3.Connection) -> dict[str, FileRow]:
    rows = conn.execute(
        "SELECT id, path, language, mtime_ns, size, hash, status, note FROM files"
    ).fetchall()
    return {r[1]: FileRow(*r) for r in rows}


def get_meta(conn: sqlite3.Connection, key: str, default: str = "") -> str:
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return str(row[0]) if row else default


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def delete_file_rows(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """Remove what was parsed from these files (not their `files` row, nor their edges:
    the re-link that follows replaces those and needs the old ones to know what moved)."""
    if not ids:
        return
    params = [(i,) for i in ids]
    conn.executemany("DELETE FROM symbols WHERE file_id=?", params)
    conn.executemany("DELETE FROM refs WHERE file_id=?", params)
    conn.executemany("DELETE FROM lexicon WHERE rowid=?", params)
    conn.executemany(
        "DELETE FROM passages WHERE rowid >= ? AND rowid < ?",
        [(i * PASSAGE_SLOTS, (i + 1) * PASSAGE_SLOTS) for i in ids],
    )


def delete_files(conn: sqlite3.Connection, ids: Sequence[int]) -> set[int]:
    """Forget files entirely, with every edge in or out; returns the files they pointed to
    (whose in-degree changed)."""
    delete_file_rows(conn, ids)
    params = [(i,) for i in ids]
    targets: set[int] = set()
    for (file_id,) in params:
        targets.update(r[0] for r in conn.execute("SELECT dst FROM edges WHERE src=?", (file_id,)))
    conn.executemany("DELETE FROM edges WHERE src=?", params)
    conn.executemany("DELETE FROM edges WHERE dst=?", params)
    # Other files' packed rows may still name these ids until they are re-linked; the
    # ranker ignores ids that are not files.
    conn.executemany("DELETE FROM adjacency WHERE src=?", params)
    conn.executemany("DELETE FROM files WHERE id=?", params)
    return targets - set(ids)


def insert_symbols(conn: sqlite3.Connection, rows: Iterable[tuple[object, ...]]) -> None:
    conn.executemany("INSERT INTO symbols VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def insert_refs(conn: sqlite3.Connection, rows: Iterable[tuple[object, ...]]) -> None:
    conn.executemany("INSERT INTO refs VALUES (?, ?, ?, ?)", rows)


def insert_lexicon(conn: sqlite3.Connection, rows: Iterable[tuple[object, ...]]) -> None:
    conn.executemany(
        "INSERT INTO lexicon (rowid, path_words, def_words, code_words, text_words) "
        "VALUES (?, ?, ?, ?, ?)",
        rows,
    )


def insert_passages(conn: sqlite3.Connection, rows: Iterable[tuple[int, str]]) -> None:
    conn.executemany("INSERT INTO passages (rowid, words) VALUES (?, ?)", rows)
