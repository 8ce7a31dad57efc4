"""Build or refresh the index: discover, parse what changed (on every core), store, re-link.

A refresh compares (mtime, size) from one stat pass with the cache; only files that differ
are read, and only those whose content hash differs are parsed. Edges are recomputed for
the changed files and for files referencing names whose set of definers changed.

A warm refresh where nothing changed is the common case (every `mom context` starts with
one): git is not started while the listing stamp holds (see `stamp`), and the stat pass is
compared with the cache as one stored string (see `stats_text`), not row by row.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from mom_cli.index import graph
from mom_cli.index.discover import Candidate, Skipped, discover
from mom_cli.index.pairs import store_partners
from mom_cli.index.passages import passage_rows
from mom_cli.index.recent import needs_update, record_recent
from mom_cli.index.stamp import open_listing
from mom_cli.index.store import (
    FileRow,
    bulk_load,
    db_path,
    delete_file_rows,
    delete_files,
    ensure_indexes,
    get_meta,
    insert_lexicon,
    insert_passages,
    insert_refs,
    insert_symbols,
    load_files,
    open_db,
    set_meta,
)

if TYPE_CHECKING:  # parsing is imported only when a file changed: a no-change refresh
    from mom_cli.index.parse import Parsed  # never loads tree-sitter, hashlib or the pool
    from mom_cli.index.pool import Job

FULL_RELINK_FRACTION = 0.3
STATS_KEY = "stats"  # meta: see `stats_text`
# Called with (files parsed so far, files to parse) while a refresh parses; the CLI shows it.
Progress = Callable[[int, int], None]


class IndexReport:
    """What a build/refresh did; the CLI prints it, the engine may ignore it.

    Filled in field by field as the refresh goes, so a plain class (see `tags` for why
    the index modules use no dataclasses).
    """

    __slots__ = (
        "files",
        "symbols",
        "parsed",
        "cache_hits",
        "removed",
        "edges_rebuilt",
        "seconds",
        "skipped",
        "partial",
        "warnings",
    )

    def __init__(
        self,
        files: int = 0,
        symbols: int = 0,
        parsed: int = 0,
        cache_hits: int = 0,
        removed: int = 0,
        edges_rebuilt: str = "none",  # none | partial | full
        seconds: float = 0.0,
        skipped: list[Skipped] | None = None,
        partial: list[Skipped] | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        self.files = files
        self.symbols = symbols
        self.parsed = parsed
        self.cache_hits = cache_hits
        self.removed = removed
        self.edges_rebuilt = edges_rebuilt
        self.seconds = seconds
        self.skipped: list[Skipped] = [] if skipped is None else skipped
        self.partial: list[Skipped] = [] if partial is None else partial
        self.warnings: list[str] = [] if warnings is None else warnings


def refresh(
    root: Path, state_dir: Path, workers: int | None = None, progress: Progress | None = None
) -> IndexReport:
    """Bring `<state_dir>/index.sqlite3` up to date with the work tree under `root`."""
    from mom_cli.index.lock import index_lock

    start = time.perf_counter()
    report = IndexReport()
    with index_lock(state_dir):  # a background build finishes first; never two writers
        conn, warnings = open_db(db_path(state_dir))
        report.warnings.extend(warnings)
        try:
            _refresh(conn, root, state_dir, report, workers, progress)
        finally:
            conn.close()
    report.seconds = time.perf_counter() - start
    return report


def _refresh(
    conn: sqlite3.Connection,
    root: Path,
    state_dir: Path,
    report: IndexReport,
    workers: int | None,
    progress: Progress | None,
) -> None:
    listing = open_listing(root, state_dir)  # git (if asked) runs while the cache is read
    found = discover(root, listing)
    report.warnings.extend(found.warnings)
    report.skipped.extend(found.skipped)
    stats = stats_text(found.candidates)
    todo: list[tuple[Candidate, FileRow | None]] = []
    gone: list[FileRow] = []
    unchanged = get_meta(conn, STATS_KEY) == stats  # one string compare, no row read
    if not unchanged:
        existing = load_files(conn)
        for cand in found.candidates:
            row = existing.get(cand.path)
            if row is None or (row.mtime_ns, row.size) != (cand.mtime_ns, cand.size):
                todo.append((cand, row))
        present = {c.path for c in found.candidates}
        gone = [row for path, row in existing.items() if path not in present]
    report.cache_hits = len(found.candidates) - len(todo)
    head = listing.head()  # "" outside git; always read, so no git process is left unreaped
    listing.close()  # after git's answers: record them for the next refresh (see `stamp`)
    if todo or gone or needs_update(conn, head):
        _write(conn, root, report, todo, gone, head, workers, progress, stats)
    elif not unchanged:
        set_meta(conn, STATS_KEY, stats)  # the cache matched row by row: say so once
    _finish_report(conn, report)


def stats_text(candidates: list[Candidate]) -> str:
    """Every candidate's (path, mtime, size) as one string. Stored (as STATS_KEY) when the
    files table holds exactly these, so a refresh where nothing changed compares one
    string instead of reading every row. Never empty: "" (unset, or a file could not be
    read) matches nothing. Each path is length-prefixed (a path may hold any character but
    NUL, which SQLite text should not hold), so two different lists never read the same."""
    return "stats\n" + "".join(
        [f"{len(c.path)}:{c.path}:{c.mtime_ns}:{c.size}\n" for c in candidates]
    )


def _write(
    conn: sqlite3.Connection,
    root: Path,
    report: IndexReport,
    todo: list[tuple[Candidate, FileRow | None]],
    gone: list[FileRow],
    head: str,
    workers: int | None,
    progress: Progress | None,
    stats: str,
) -> None:
    """One write transaction: a bulk load when the cache is empty, else an update."""
    cold = conn.execute("SELECT 1 FROM files LIMIT 1").fetchone() is None and bool(todo)
    jobs: list[Job] = [
        (c.path, c.language, c.mtime_ns, c.size, row.hash if row else "") for c, row in todo
    ]
    if cold:  # committed first: a build that dies half-way is seen as one and redone
        set_meta(conn, "complete", "0")
    skipped = len(report.skipped)
    with bulk_load(conn, cold):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if cold:
                _cold(conn, root, report, jobs, workers, progress)
            else:
                existing = {c.path: row for c, row in todo if row is not None}
                _update(conn, root, report, jobs, existing, gone, workers, progress)
            if cold or gone or len(existing) < len(todo):  # the set of paths changed
                store_partners(conn)
            ensure_indexes(conn)
            if needs_update(conn, head):  # git log only when HEAD moved
                record_recent(conn, root, head)
            # A file that could not be read has no row and is retried: no stats shortcut then.
            set_meta(conn, STATS_KEY, "" if len(report.skipped) > skipped else stats)
            symbols = conn.execute("SELECT count(*) FROM symbols").fetchone()[0]
            set_meta(conn, "symbols", str(symbols))  # the no-change refresh reports it
            set_meta(conn, "complete", "1")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _cold(
    conn: sqlite3.Connection,
    root: Path,
    report: IndexReport,
    jobs: list[Job],
    workers: int | None,
    progress: Progress | None,
) -> None:
    from mom_cli.index.bulk import BulkWriter

    writer = BulkWriter(conn)
    for parsed in _parsed(root, jobs, workers, progress):
        if parsed.status == "unreadable":  # not cached: retried on the next refresh
            report.skipped.append(Skipped(parsed.path, parsed.note))
            continue
        writer.add(parsed)
        report.parsed += 1
    writer.link()
    report.edges_rebuilt = "full"


def _update(
    conn: sqlite3.Connection,
    root: Path,
    report: IndexReport,
    jobs: list[Job],
    existing: dict[str, FileRow],
    gone: list[FileRow],
    workers: int | None,
    progress: Progress | None,
) -> None:
    changed_names: set[str] = set()
    moved: set[int] = set()
    if gone:
        changed_names |= _def_names(conn, [r.id for r in gone])
        moved = delete_files(conn, [r.id for r in gone])
    touched: list[int] = []
    for parsed in _parsed(root, jobs, workers, progress):
        if parsed.status == "unreadable":  # not cached: retried on the next refresh
            report.skipped.append(Skipped(parsed.path, parsed.note))
            continue
        file_id, names = _store(conn, parsed, existing.get(parsed.path))
        if parsed.status == "unchanged":
            report.cache_hits += 1
            continue
        report.parsed += 1
        touched.append(file_id)
        changed_names |= names
    report.removed = len(gone)
    _relink(conn, report, touched, changed_names, moved)


def _parsed(
    root: Path, jobs: list[Job], workers: int | None, progress: Progress | None
) -> Iterator[Parsed]:
    """Parse results as they arrive, telling `progress` (done, total) along the way."""
    from mom_cli.index.pool import parse_all

    for done, parsed in enumerate(parse_all(str(root), jobs, workers), start=1):
        if progress is not None:
            progress(done, len(jobs))
        yield parsed


def _finish_report(conn: sqlite3.Connection, report: IndexReport) -> None:
    report.files = conn.execute("SELECT count(*) FROM files WHERE status != 'binary'").fetchone()[0]
    report.symbols = int(get_meta(conn, "symbols", "0"))
    for path, status, note in conn.execute(
        "SELECT path, status, note FROM files WHERE note != '' ORDER BY path"
    ):
        (report.skipped if status == "binary" else report.partial).append(Skipped(path, note))


def _relink(
    conn: sqlite3.Connection,
    report: IndexReport,
    touched: list[int],
    changed_names: set[str],
    moved: set[int],
) -> None:
    if not touched and not changed_names and not moved:
        return
    total = conn.execute("SELECT count(*) FROM files").fetchone()[0] or 1
    sources = set(touched)
    if len(sources) < FULL_RELINK_FRACTION * total:
        sources |= graph.referencing_files(conn, changed_names)
    if len(sources) >= FULL_RELINK_FRACTION * total:
        graph.rebuild_all(conn)
        report.edges_rebuilt = "full"
    else:
        graph.rebuild_sources(conn, sources, moved)
        report.edges_rebuilt = "partial"


def _def_names(conn: sqlite3.Connection, ids: list[int]) -> set[str]:
    names: set[str] = set()
    for file_id in ids:
        names.update(
            r[0]
            for r in conn.execute("SELECT DISTINCT name FROM symbols WHERE file_id=?", (file_id,))
        )
    return names


def _store(conn: sqlite3.Connection, parsed: Parsed, old: FileRow | None) -> tuple[int, set[str]]:
    """Write one parse result; returns its file id and the def names that appeared/vanished."""
    if parsed.status == "unchanged" and old is not None:
        conn.execute(
            "UPDATE files SET mtime_ns=?, size=? WHERE id=?", (parsed.mtime_ns, parsed.size, old.id)
        )
        return old.id, set()
    old_names: set[str] = set()
    if old is not None:
        old_names = _def_names(conn, [old.id])
        delete_file_rows(conn, [old.id])
        conn.execute(
            "UPDATE files SET language=?, mtime_ns=?, size=?, hash=?, status=?, note=?, lines=? "
            "WHERE id=?",
            (parsed.language, parsed.mtime_ns, parsed.size, parsed.hash, parsed.status,
             parsed.note, parsed.lines, old.id),
        )  # fmt: skip
        file_id = old.id
    else:
        cur = conn.execute(
            "INSERT INTO files (path, language, mtime_ns, size, hash, status, note, lines) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (parsed.path, parsed.language, parsed.mtime_ns, parsed.size, parsed.hash,
             parsed.status, parsed.note, parsed.lines),
        )  # fmt: skip
        file_id = int(cur.lastrowid or 0)
    insert_symbols(conn, ((file_id, *s) for s in parsed.symbols))
    insert_refs(conn, ((file_id, *r) for r in parsed.refs))
    if parsed.status in ("ok", "partial"):
        insert_lexicon(conn, [(file_id, *parsed.words)])
        insert_passages(conn, passage_rows(file_id, parsed.passages))
    new_names = {s[0] for s in parsed.symbols}
    return file_id, old_names ^ new_names
