"""What a run did while its terminal was gone: one JSON record in `.mom/detached.json`.

A session whose terminal hangs up keeps its run going to the end (the lock, rollbacks and
ledger rows are the run's own business); it then writes this record, and the next session
on the repository shows it once ("last run finished while detached: …") and moves it to
`.mom/detached.seen.json`, so the user learns what happened while they were away.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

RECORD = "detached.json"
SEEN = "detached.seen.json"


def record(repo: Path, command: str, exit_code: int, summary: str, held: list[str]) -> Path:
    """Write the record (temp file + rename: a reader never sees half of it)."""
    from mom_cli.paths import repo_state_dir

    state = repo_state_dir(repo)
    doc = {
        "command": command,
        "exit_code": exit_code,
        "summary": summary,
        "held": held,
        "files": _files_of(repo, held),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "pid": os.getpid(),
    }
    tmp = state / f".{RECORD}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, state / RECORD)
    return state / RECORD


def _files_of(repo: Path, record_ids: list[str]) -> list[str]:
    """The files the held changes touched: the next session names them, so the user
    knows what changed while they were away without digging in `.mom/`."""
    from mom_cli.edits.checkpoint import CheckpointStore

    files: dict[str, None] = {}
    store = CheckpointStore(repo)
    for rid in record_ids:
        with contextlib.suppress(Exception):  # a missing record must not lose the report
            files.update(dict.fromkeys(store.load(rid).paths))
    return list(files)


def take(repo: Path) -> dict[str, Any] | None:
    """The unseen record, if any, marked seen. A corrupt one is set aside, not fatal."""
    path = repo / ".mom" / RECORD
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    with contextlib.suppress(OSError):
        os.replace(path, path.with_name(SEEN))
    try:
        doc = json.loads(text)
    except ValueError:
        return {"summary": f"(unreadable record: {path.name})", "command": "?", "held": []}
    return doc if isinstance(doc, dict) else None


def describe(doc: dict[str, Any]) -> list[str]:
    """The lines the next session shows (short: the log panel is narrow)."""
    lines = [
        f"last run finished while detached: /{doc.get('command', '?')}",
        f"  at {doc.get('finished_at', '?')}",
        f"  {doc.get('summary', '')}",
    ]
    held = doc.get("held") or []
    if held:
        files = [str(f) for f in doc.get("files") or []]
        where = f" ({', '.join(files[:5])}{', …' if len(files) > 5 else ''})" if files else ""
        lines.append(f"  {len(held)} change(s) left applied{where}; /undo reverts")
    return lines
