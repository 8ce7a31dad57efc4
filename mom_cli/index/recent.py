"""Remember which files the last commits touched: a weak ranking seed, read once per HEAD."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

from mom_cli.index.store import get_meta, set_meta

RECENT_COMMITS = 30


def needs_update(conn: sqlite3.Connection, head: str) -> bool:
    return bool(head) and get_meta(conn, "head") != head


def record_recent(conn: sqlite3.Connection, root: Path, head: str) -> None:
    """Store the file lists of the last RECENT_COMMITS commits (inside the caller's txn)."""
    try:
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
