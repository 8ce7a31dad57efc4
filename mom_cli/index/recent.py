"""Git history signals, read once per HEAD and only from commits reachable from HEAD.

Three signals come out of one `git log HEAD` (never `--all`: a clone can hold branches,
tags or remote refs past HEAD, and ranking must not see the future):
- recency: the file lists of the last RECENT_COMMITS commits (a weak ranking seed);
- past commit messages per file, as a BM25 field ("files whose past commits read like
  this request");
- co-change: for each file, the files most often changed in the same commits.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from pathlib import Path

from mom_cli.index.store import get_meta, set_meta
from mom_cli.index.words import identifier_words, identifiers_in

RECENT_COMMITS = 30
HISTORY_COMMITS = 1000
MAX_FILES_PER_COMMIT = 40  # an import or a mass reformat says nothing about any one file
COCHANGE_MAX_FILES = 10  # a pair from a small commit is a real coupling
COCHANGE_PARTNERS = 5
MAX_MESSAGE_CHARS = 2000


def needs_update(conn: sqlite3.Connection, head: str) -> bool:
    return bool(head) and get_meta(conn, "head") != head


def read_log(
    root: Path, count: int = HISTORY_COMMITS, rev: str = "HEAD"
) -> list[tuple[str, list[str]]]:
    """(message, changed files) of the last `count` commits reachable from `rev` (HEAD;
    the bench passes a parent sha), newest first; [] when git fails."""
    try:
        import subprocess  # only when HEAD moved: a warm refresh starts no process (stamp)

        log = subprocess.run(
            ["git", "log", rev, f"-n{count}", "--no-merges", "--name-only", "--relative",
             "--format=%x01%B%x02", "--"],
            cwd=root, capture_output=True, text=True, errors="replace", timeout=60, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return []
    commits: list[tuple[str, list[str]]] = []
    for chunk in log.split("\x01")[1:]:
        message, _, names = chunk.partition("\x02")
        files = [line for line in names.splitlines() if line.strip()]
        commits.append((message.strip()[:MAX_MESSAGE_CHARS], files))
    return commits


def record_recent(conn: sqlite3.Connection, root: Path, head: str) -> None:
    """Store recency, messages and co-change for `head` (inside the caller's txn)."""
    commits = read_log(root)
    recent = [files for _msg, files in commits[:RECENT_COMMITS] if files]
    messages: dict[str, list[str]] = defaultdict(list)
    pairs: dict[str, Counter[str]] = defaultdict(Counter)
    for message, files in commits:
        if not files or len(files) > MAX_FILES_PER_COMMIT:
            continue
        words = identifier_words(identifiers_in(message))
        for path in files:
            messages[path].append(words)
        if len(files) <= COCHANGE_MAX_FILES:
            for a in files:
                pairs[a].update(b for b in files if b != a)
    conn.execute("DELETE FROM history")
    conn.executemany(
        "INSERT INTO history (path, messages) VALUES (?, ?)",
        [(path, " ".join(words)) for path, words in messages.items()],
    )
    cochange = {
        path: [[other, n] for other, n in counts.most_common(COCHANGE_PARTNERS) if n >= 2]
        for path, counts in pairs.items()
    }
    set_meta(conn, "head", head)
    set_meta(conn, "recent", json.dumps(recent))
    set_meta(conn, "cochange", json.dumps({p: c for p, c in cochange.items() if c}))
