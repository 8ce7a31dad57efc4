"""The no-change refresh compares one stored string of every file's (path, mtime, size)
instead of reading the files table, and never lets that shortcut hide a change."""

from __future__ import annotations

import builtins
import os
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from git_repos import write_files
from index_helpers import SAMPLE_PY

from mom_cli.index import build, parse
from mom_cli.index.api import CodeIndex

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]


def _paths(state: Path) -> set[str]:
    conn = sqlite3.connect(state / "index.sqlite3")
    try:
        return {row[0] for row in conn.execute("SELECT path FROM files")}
    finally:
        conn.close()


def _index(repo: Path, tmp_path: Path) -> CodeIndex:
    (tmp_path / "state").mkdir(exist_ok=True)
    return CodeIndex(repo, tmp_path / "state")


def test_nothing_changed_reads_no_rows(
    index_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = index_repo(SAMPLE_PY)
    index = _index(repo, tmp_path)
    index.refresh()
    real = build.load_files
    calls: list[int] = []

    def counting(conn: sqlite3.Connection) -> Any:
        calls.append(1)
        return real(conn)

    monkeypatch.setattr(build, "load_files", counting)
    report = index.refresh()
    assert calls == [] and (report.files, report.cache_hits, report.parsed) == (3, 3, 0)
    os.utime(repo / "app" / "retry.py", ns=(1, 1))  # touched: rows are compared again
    assert index.refresh().cache_hits == 3 and calls == [1]
    assert index.refresh().cache_hits == 3 and calls == [1]  # ... once


def test_every_file_deleted_empties_the_index(index_repo: MakeRepo, tmp_path: Path) -> None:
    repo = index_repo(SAMPLE_PY)
    index = _index(repo, tmp_path)
    index.refresh()
    for path in ("app/http.py", "app/retry.py", "app/cli.py"):
        (repo / path).unlink()
    assert index.refresh().files == 0
    assert _paths(tmp_path / "state") == set()
    write_files(repo, {"app/back.py": "def back():\n    pass\n"})
    assert index.refresh().files == 1


def _refuse_to_open(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """The parser cannot read `path` (as root, chmod is moot)."""
    blocked = str(path)
    real_open = builtins.open

    def failing_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if file == blocked:
            raise PermissionError(13, "Permission denied", file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(parse, "open", failing_open, raising=False)


def test_an_unreadable_file_is_retried_until_read(
    index_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = index_repo(SAMPLE_PY)
    _refuse_to_open(monkeypatch, repo / "app/retry.py")
    index = _index(repo, tmp_path)
    for _ in range(2):  # not cached, so asked again each time
        report = index.refresh()
        assert "app/retry.py" in {s.path for s in report.skipped}
        assert "app/retry.py" not in _paths(tmp_path / "state")
    monkeypatch.undo()
    assert index.refresh().parsed == 1
    assert "app/retry.py" in _paths(tmp_path / "state")


def test_no_stored_stats_never_match_an_empty_tree(
    index_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a refresh that could not read a file, nothing is stored; an empty work tree
    must not match that "nothing" and keep the old rows."""
    repo = index_repo(SAMPLE_PY)
    _refuse_to_open(monkeypatch, repo / "app/retry.py")
    index = _index(repo, tmp_path)
    index.refresh()
    assert _paths(tmp_path / "state") == {"app/http.py", "app/cli.py"}
    for path in ("app/http.py", "app/retry.py", "app/cli.py"):
        (repo / path).unlink()
    assert index.refresh().files == 0
    assert _paths(tmp_path / "state") == set()
