"""Build or refresh the index: discover, parse what changed (on every core), store, re-link.

A refresh compares (mtime, size) from one stat pass with the cache; only files that differ
are read, and only those whose content hash differs are parsed. Edges are recomputed for
the changed files and for files referencing names whose set of definers changed.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mom_cli.index import graph
from mom_cli.index.discover import Candidate, Skipped, discover
from mom_cli.index.parse import Parsed, parse_batch
from mom_cli.index.store import (
    FileRow,
    db_path,
    delete_file_rows,
    delete_files,
    ensure_indexes,
    insert_lexicon,
    insert_refs,
    insert_symbols,
    load_files,
    open_db,
    set_meta,
)

POOL_THRESHOLD = 48  # fewer changed files than this are parsed in-process
BATCH_BYTES = 400_000
RECENT_COMMITS = 30
FULL_RELINK_FRACTION = 0.3


@dataclass
class IndexReport:
    """What a build/refresh did; the CLI prints it, the engine may ignore it."""

    files: int = 0
    symbols: int = 0
    parsed: int = 0
    cache_hits: int = 0
    removed: int = 0
    edges_rebuilt: str = "none"  # none | partial | full
    seconds: float = 0.0
    skipped: list[Skipped] = field(default_factory=list)
    partial: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def refresh(root: Path, state_dir: Path, workers: int | None = None) -> IndexReport:
    """Bring `<state_dir>/index.sqlite3` up to date with the work tree under `root`."""
    start = time.perf_counter()
    report = IndexReport()
    conn, warnings = open_db(db_path(state_dir))
    report.warnings.extend(warnings)
    try:
        _refresh(conn, root, report, workers)
    finally:
        conn.close()
    report.seconds = time.perf_counter() - start
    return report


def _refresh(
    conn: sqlite3.Connection, root: Path, report: IndexReport, workers: int | None
) -> None:
    found = discover(root)
    report.warnings.extend(found.warnings)
    report.skipped.extend(found.skipped)
    existing = load_files(conn)
    todo: list[tuple[Candidate, FileRow | None]] = []
    for cand in found.candidates:
        row = existing.get(cand.path)
        if row is None or (row.mtime_ns, row.size) != (cand.mtime_ns, cand.size):
            todo.append((cand, row))
    report.cache_hits = len(found.candidates) - len(todo)
    present = {c.path for c in found.candidates}
    gone = [row for path, row in existing.items() if path not in present]
    was_empty = not existing

    conn.execute("BEGIN IMMEDIATE")
    try:
        if not was_empty:
            ensure_indexes(conn)
        changed_names: set[str] = set()
        if gone:
            changed_names |= _def_names(conn, [r.id for r in gone])
            delete_files(conn, [r.id for r in gone])
        touched: list[int] = []
        for parsed in _parse_all(root, todo, workers):
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
        _relink(conn, report, touched, changed_names, was_empty)
        ensure_indexes(conn)
        if found.is_git:
            _record_recent(conn, root)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    report.files = conn.execute("SELECT count(*) FROM files WHERE status != 'binary'").fetchone()[0]
    report.symbols = conn.execute("SELECT count(*) FROM symbols").fetchone()[0]
    for path, status, note in conn.execute(
        "SELECT path, status, note FROM files WHERE note != '' ORDER BY path"
    ):
        (report.skipped if status == "binary" else report.partial).append(Skipped(path, note))


def _relink(
    conn: sqlite3.Connection,
    report: IndexReport,
    touched: list[int],
    changed_names: set[str],
    was_empty: bool,
) -> None:
    if not touched and not changed_names:
        return
    total = conn.execute("SELECT count(*) FROM files").fetchone()[0] or 1
    sources = set(touched)
    if not was_empty and len(sources) < FULL_RELINK_FRACTION * total:
        sources |= graph.referencing_files(conn, changed_names)
    if was_empty or len(sources) >= FULL_RELINK_FRACTION * total:
        graph.rebuild_all(conn)
        report.edges_rebuilt = "full"
    else:
        graph.rebuild_sources(conn, sources)
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
    new_names = {s[0] for s in parsed.symbols}
    return file_id, old_names ^ new_names


def _parse_all(
    root: Path, todo: list[tuple[Candidate, FileRow | None]], workers: int | None
) -> Iterator[Parsed]:
    """Parse in-process for small jobs, else on a process pool over every core."""
    jobs = [(c.path, c.language, c.mtime_ns, c.size, row.hash if row else "") for c, row in todo]
    count = workers if workers is not None else (os.cpu_count() or 1)
    if len(jobs) < POOL_THRESHOLD or count <= 1:
        yield from parse_batch(str(root), jobs)
        return
    batches = _batches(jobs, [c.size for c, _ in todo])
    with ProcessPoolExecutor(max_workers=min(count, len(batches)), mp_context=_context()) as pool:
        futures = [pool.submit(parse_batch, str(root), batch) for batch in batches]
        for future in futures:
            yield from future.result()


def _batches(
    jobs: list[tuple[str, str, int, int, str]], sizes: list[int]
) -> list[list[tuple[str, str, int, int, str]]]:
    """Largest files first, packed into batches of about BATCH_BYTES."""
    order = sorted(range(len(jobs)), key=lambda i: -sizes[i])
    batches: list[list[tuple[str, str, int, int, str]]] = []
    current: list[tuple[str, str, int, int, str]] = []
    weight = 0
    for i in order:
        current.append(jobs[i])
        weight += sizes[i]
        if weight >= BATCH_BYTES:
            batches.append(current)
            current, weight = [], 0
    if current:
        batches.append(current)
    return batches


def _context() -> multiprocessing.context.BaseContext:
    """fork is the cheapest start, but only safe while this process has one thread."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _record_recent(conn: sqlite3.Connection, root: Path) -> None:
    """Remember the files touched by the last commits (a ranking seed), once per HEAD."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=root, capture_output=True,
            text=True, timeout=30,
        ).stdout.strip()  # fmt: skip
        row = conn.execute("SELECT value FROM meta WHERE key='head'").fetchone()
        if not head or (row and row[0] == head):
            return
        log = subprocess.run(
            ["git", "log", f"-n{RECENT_COMMITS}", "--name-only", "--format=%x00", "--relative"],
            cwd=root, capture_output=True, text=True, timeout=60, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return
    recent: list[list[str]] = []
    for block in log.split("\0"):
        files = [line for line in block.splitlines() if line.strip()]
        if files:
            recent.append(files)
    set_meta(conn, "head", head)
    set_meta(conn, "recent", json.dumps(recent))
