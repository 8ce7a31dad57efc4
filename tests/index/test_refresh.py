"""Incremental refresh: only what changed is parsed, and the graph follows renames."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from git_repos import write_files as write
from index_helpers import SAMPLE_PY

from mom_cli.index import build, graph, pairs, pool
from mom_cli.index.api import CodeIndex

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]


def _state(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    return state


def _definers(state: Path, name: str) -> set[str]:
    conn = sqlite3.connect(state / "index.sqlite3")
    rows = conn.execute(
        "SELECT f.path FROM symbols s JOIN files f ON f.id = s.file_id WHERE s.name=?", (name,)
    ).fetchall()
    conn.close()
    return {r[0] for r in rows}


def _edges(state: Path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(state / "index.sqlite3")
    rows = conn.execute(
        "SELECT a.path, b.path FROM edges e JOIN files a ON a.id=e.src JOIN files b ON b.id=e.dst"
    ).fetchall()
    conn.close()
    return set(rows)


def _indegrees(state: Path) -> dict[str, tuple[int, float]]:
    conn = sqlite3.connect(state / "index.sqlite3")
    rows = conn.execute("SELECT path, indeg, round(inweight, 6) FROM files").fetchall()
    conn.close()
    return {path: (count, weight) for path, count, weight in rows}


def _assert_adjacency_matches_edges(state: Path) -> None:
    """The ranker's packed rows say what the edges table says, normalized per source."""
    conn = sqlite3.connect(state / "index.sqlite3")
    files = {r[0] for r in conn.execute("SELECT id FROM files")}
    edges: dict[int, list[tuple[int, float]]] = {}
    for src, dst, weight in conn.execute("SELECT src, dst, weight FROM edges ORDER BY rowid"):
        edges.setdefault(src, []).append((dst, weight))
    packed = {
        src: graph.unpack_adjacency(dsts, shares)
        for src, dsts, shares in conn.execute("SELECT src, dsts, shares FROM adjacency")
    }
    conn.close()
    for src in files:
        out = edges.get(src, [])
        total = sum(w for _, w in out) or 1.0
        want = sorted((dst, round(w / total, 9)) for dst, w in out)
        got = sorted((dst, round(share, 9)) for dst, share in packed.get(src, []) if dst in files)
        assert got == want, src


def _relinked_from_tables(state: Path) -> tuple[set[tuple[str, str]], dict[str, tuple[int, float]]]:
    """Edges and in-degrees as a full rebuild from the stored symbols and refs makes them."""
    conn = sqlite3.connect(state / "index.sqlite3")
    with conn:
        graph.rebuild_all(conn)
    conn.close()
    return _edges(state), _indegrees(state)


def test_cold_then_nothing_changed(index_repo: MakeRepo, tmp_path: Path) -> None:
    repo = index_repo(SAMPLE_PY)
    index = CodeIndex(repo, _state(tmp_path))
    first = index.refresh()
    assert (first.files, first.parsed, first.cache_hits) == (3, 3, 0)
    assert first.edges_rebuilt == "full"
    assert ("app/http.py", "app/retry.py") in _edges(tmp_path / "state")
    # The cold build links from memory; it must agree with a rebuild from the tables.
    built = (_edges(tmp_path / "state"), _indegrees(tmp_path / "state"))
    assert _indegrees(tmp_path / "state")["app/retry.py"][0] >= 1
    assert _relinked_from_tables(tmp_path / "state") == built
    _assert_adjacency_matches_edges(tmp_path / "state")
    second = index.refresh()
    assert (second.parsed, second.cache_hits, second.edges_rebuilt) == (0, 3, "none")


def test_edit_touch_add_rename_delete(
    index_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "FULL_RELINK_FRACTION", 2.0)  # force the incremental path
    repo = index_repo(SAMPLE_PY)
    state = _state(tmp_path)
    index = CodeIndex(repo, state)
    index.refresh()

    # Touch without changing content: the hash says it is the same file.
    retry = repo / "app/retry.py"
    os.utime(retry, ns=(1, 1))
    report = index.refresh()
    assert (report.parsed, report.cache_hits) == (0, 3)

    # Edit: one file re-parsed, its new definition is found.
    retry.write_text(retry.read_text() + "\n\ndef jitter():\n    return 1\n")
    report = index.refresh()
    assert report.parsed == 1 and report.edges_rebuilt == "partial"
    assert _definers(state, "jitter") == {"app/retry.py"}

    # Add a file that uses RetryPolicy: a new edge appears.
    write(repo, {"app/jobs.py": "from app.retry import RetryPolicy\n\nRetryPolicy(1).run(f)\n"})
    report = index.refresh()
    assert report.parsed == 1 and report.files == 4
    assert ("app/jobs.py", "app/retry.py") in _edges(state)

    # Rename: the old path is forgotten, definitions and edges follow the new one.
    retry.rename(repo / "app/policy.py")
    report = index.refresh()
    assert report.removed == 1 and report.parsed == 1
    assert _definers(state, "RetryPolicy") == {"app/policy.py"}
    edges = _edges(state)
    assert ("app/http.py", "app/policy.py") in edges
    assert not any("app/retry.py" in pair for pair in edges)

    # Delete: gone from symbols and edges.
    (repo / "app/policy.py").unlink()
    report = index.refresh()
    assert report.removed == 1 and report.files == 3
    assert _definers(state, "RetryPolicy") == set()
    assert not any("app/policy.py" in pair for pair in _edges(state))

    # The incrementally maintained graph (and in-degrees) equals a full rebuild.
    incremental = (_edges(state), _indegrees(state))
    _assert_adjacency_matches_edges(state)
    assert _relinked_from_tables(state) == incremental
    _assert_adjacency_matches_edges(state)


def test_parallel_matches_serial(
    index_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files: dict[str, str | bytes] = {
        f"pkg/mod{i}.py": f"def f{i}():\n    return f{(i + 1) % 30}()\n" for i in range(30)
    }
    repo = index_repo(files)
    serial = CodeIndex(repo, tmp_path / "serial")
    (tmp_path / "serial").mkdir()
    serial_report = serial.refresh(workers=1)
    monkeypatch.setattr(pool, "POOL_THRESHOLD", 1)
    monkeypatch.setattr(pool, "MIN_BATCH_BYTES", 100)
    (tmp_path / "par").mkdir()
    par_report = CodeIndex(repo, tmp_path / "par").refresh(workers=2)
    assert serial_report.symbols == par_report.symbols == 30
    assert _edges(tmp_path / "serial") == _edges(tmp_path / "par")


def test_gitignore_is_respected(index_repo: MakeRepo, tmp_path: Path) -> None:
    repo = index_repo({**SAMPLE_PY, ".gitignore": "generated/\n"})
    write(repo, {"generated/out.py": "def gen():\n    pass\n", "node_modules/x/i.js": "f()\n"})
    report = CodeIndex(repo, _state(tmp_path)).refresh()
    assert report.files == 3
    assert _definers(tmp_path / "state", "gen") == set()
    assert any(s.reason == "vendored directory" for s in report.skipped)


def test_progress_counts_each_parsed_file(index_repo: MakeRepo, tmp_path: Path) -> None:
    repo = index_repo(SAMPLE_PY)
    index = CodeIndex(repo, _state(tmp_path))
    seen: list[tuple[int, int]] = []
    index.refresh(progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    seen.clear()
    index.refresh(progress=lambda done, total: seen.append((done, total)))
    assert seen == []  # nothing changed, nothing parsed


def _stored_partners(state: Path) -> dict[str, set[str]]:
    conn = sqlite3.connect(state / "index.sqlite3")
    paths = dict(conn.execute("SELECT id, path FROM files"))
    stored = pairs.load_partners(conn, {})
    conn.close()
    assert stored == pairs.partners_by_file(paths)  # what a query would derive itself
    return {paths[a]: {paths[b] for b in bs} for a, bs in stored.items()}


def test_source_test_pairs_follow_added_and_removed_files(
    index_repo: MakeRepo, tmp_path: Path
) -> None:
    repo = index_repo(
        {"app/a.py": "def a():\n    pass\n", "tests/test_a.py": "def test_a():\n    pass\n"}
    )
    state = _state(tmp_path)
    index = CodeIndex(repo, state)
    index.refresh()
    assert _stored_partners(state) == {
        "app/a.py": {"tests/test_a.py"},
        "tests/test_a.py": {"app/a.py"},
    }
    write(
        repo, {"app/b.py": "def b():\n    pass\n", "tests/test_b.py": "def test_b():\n    pass\n"}
    )
    (repo / "tests/test_a.py").unlink()
    index.refresh()
    assert _stored_partners(state) == {
        "app/b.py": {"tests/test_b.py"},
        "tests/test_b.py": {"app/b.py"},
    }
