"""Bad input becomes a clear line in the report, never a crash."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from git_repos import write_files as write
from index_helpers import SAMPLE_PY

from mom_cli.index.api import CodeIndex
from mom_cli.index.discover import MAX_FILE_BYTES
from mom_cli.index.parse import parse_file

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]


def _reasons(items: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {s.path: s.reason for s in items}


def test_bad_files_are_reported(index_repo: MakeRepo, tmp_path: Path) -> None:
    repo = index_repo(
        {
            **SAMPLE_PY,
            "broken.py": "def ok():\n    pass\n\ndef bad(:\n",
            "latin1.py": "NAME = 'caf\xe9'\n".encode("latin-1"),
            "blob.c": b"\x00\x01\x02binary",
            "huge.js": "x = 1;\n" * (MAX_FILE_BYTES // 7 + 10),
        }
    )
    os.symlink(repo / "missing.py", repo / "dangling.py")
    state = tmp_path / "state"
    state.mkdir()
    report = CodeIndex(repo, state).refresh()
    skipped = _reasons(report.skipped)
    partial = _reasons(report.partial)
    assert "too large" in skipped["huge.js"]
    assert "binary" in skipped["blob.c"]
    assert skipped["dangling.py"] == "broken symlink"
    assert "syntax error near line 4" in partial["broken.py"]
    assert "not valid UTF-8" in partial["latin1.py"]
    # What parses is still indexed.
    ctx = CodeIndex(repo, state).context("ok NAME", budget=500)
    assert any(e.symbol in ("ok", "NAME") for e in ctx.excerpts)
    # The same lines again on a warm refresh (binary/partial come from the cache).
    again = CodeIndex(repo, state).refresh()
    assert "binary" in _reasons(again.skipped)["blob.c"]
    assert "latin1.py" in _reasons(again.partial)


def test_unreadable_file_is_data_not_an_exception(tmp_path: Path) -> None:
    (tmp_path / "dir.py").mkdir()
    parsed = parse_file(str(tmp_path), "dir.py", "python", 0, 0)
    assert parsed.status == "unreadable" and "cannot read" in parsed.note


def test_no_git_repository(tmp_path: Path) -> None:
    repo = tmp_path / "plain"
    write(repo, {**SAMPLE_PY, ".hidden/x.py": "def h():\n    pass\n"})
    (tmp_path / "state").mkdir()
    report = CodeIndex(repo, tmp_path / "state").refresh()
    assert report.files == 3
    assert any("not a git repository" in w for w in report.warnings)


def test_git_not_installed_is_said_so(
    index_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = index_repo(SAMPLE_PY)
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools-here"))
    (tmp_path / "state").mkdir()
    report = CodeIndex(repo, tmp_path / "state").refresh()
    assert report.files == 3
    assert any("git is not on PATH" in w for w in report.warnings)


def test_corrupt_cache_is_rebuilt(index_repo: MakeRepo, tmp_path: Path) -> None:
    repo = index_repo(SAMPLE_PY)
    state = tmp_path / "state"
    state.mkdir()
    (state / "index.sqlite3").write_bytes(b"this is not a database" * 100)
    report = CodeIndex(repo, state).refresh()
    assert report.files == 3
    assert any("rebuilding" in w for w in report.warnings)
    assert CodeIndex(repo, state).refresh().cache_hits == 3


def test_interrupted_cold_build_is_redone(index_repo: MakeRepo, tmp_path: Path) -> None:
    repo = index_repo(SAMPLE_PY)
    state = tmp_path / "state"
    state.mkdir()
    CodeIndex(repo, state).refresh()
    conn = sqlite3.connect(state / "index.sqlite3")
    with conn:  # what a build killed half-way leaves behind
        conn.execute("UPDATE meta SET value='0' WHERE key='complete'")
    conn.close()
    report = CodeIndex(repo, state).refresh()
    assert any("interrupted" in w and "rebuilding" in w for w in report.warnings)
    assert (report.parsed, report.files) == (3, 3)


def test_unusable_state_dir_or_cache_is_an_error_line(
    index_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    from mom_cli.cli.fast import parse_fast, run_fast

    repo = index_repo(SAMPLE_PY)
    (repo / ".mom").write_text("not a directory")
    parsed = parse_fast(["index", "--repo", str(repo), "--json"])
    assert parsed is not None and run_fast(*parsed) == 2
    assert "is not a directory" in capsys.readouterr().out
    (repo / ".mom").unlink()
    (repo / ".mom" / "index.sqlite3").mkdir(parents=True)  # SQLite cannot open a directory
    parsed = parse_fast(["context", "RetryPolicy", "--repo", str(repo)])
    assert parsed is not None and run_fast(*parsed) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot read or write the code index") and "Traceback" not in err
