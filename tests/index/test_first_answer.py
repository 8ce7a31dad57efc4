"""A first `mom context` on a never-indexed repo answers from a quick text scan, and the
full index is finished by a detached child holding the index lock."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from index_helpers import SAMPLE_PY

from mom_cli.cli.index_run import run_context
from mom_cli.index import quick
from mom_cli.index.api import CodeIndex
from mom_cli.index.discover import discover
from mom_cli.index.lock import index_lock, is_locked

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]
FILLER = {f"pkg/util{i}.py": f"def util_{i}(x):\n    return x + {i}\n" for i in range(12)}


def wait_built(index: CodeIndex, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if index.is_built() and not is_locked(index.state_dir):
            return
        time.sleep(0.1)
    raise AssertionError("the background build did not finish")


def test_scan_ranks_by_raw_text_and_prefers_source(index_repo: MakeRepo) -> None:
    repo = index_repo({**SAMPLE_PY, **FILLER, "tests/test_retry.py": "# retry backoff retry\n"})
    ranked = quick.scan(repo, discover(repo).candidates, "backoff delay for the retry policy")
    assert ranked[0][0] == "app/retry.py"
    assert [p for p, _ in ranked].index("app/retry.py") < [p for p, _ in ranked].index(
        "tests/test_retry.py"
    )


def test_first_context_then_background_build(
    index_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(quick, "QUICK_MIN_FILES", 1)
    repo = index_repo({**SAMPLE_PY, **FILLER})
    index = CodeIndex(repo)
    assert not index.is_built()

    code = run_context("backoff delay of the retry policy", 2000, False, (), repo, None, True)
    first = json.loads(capsys.readouterr().out)
    assert code == 0
    assert first["warnings"][0].startswith("no code index yet: answered from a quick text scan")
    assert first["files"][0]["path"] == "app/retry.py"
    assert "def backoff_delay" in "\n".join(e["text"] for e in first["excerpts"])

    wait_built(index)  # the detached child finished and released the lock
    code = run_context("backoff delay of the retry policy", 2000, False, (), repo, None, True)
    second = json.loads(capsys.readouterr().out)
    assert code == 0
    assert not any("no code index" in w for w in second["warnings"])
    assert second["files"][0]["path"] == "app/retry.py"


def test_small_repo_is_indexed_outright(index_repo: MakeRepo) -> None:
    repo = index_repo(SAMPLE_PY)
    assert CodeIndex(repo).first_context("retry", 1000) is None  # below QUICK_MIN_FILES


def test_lock_is_seen_by_other_openers(tmp_path: Path) -> None:
    assert not is_locked(tmp_path)
    with index_lock(tmp_path):
        assert is_locked(tmp_path)
    assert not is_locked(tmp_path)


def test_old_cache_gets_a_first_answer_that_says_so(
    index_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(quick, "QUICK_MIN_FILES", 1)
    repo = index_repo({**SAMPLE_PY, **FILLER})
    index = CodeIndex(repo)
    index.refresh(workers=1)
    conn = sqlite3.connect(repo / ".mom" / "index.sqlite3")
    conn.execute("UPDATE meta SET value='5' WHERE key='schema'")  # as an older mom wrote it
    conn.commit()
    conn.close()
    assert not index.is_built()
    code = run_context("backoff delay of the retry policy", 2000, False, (), repo, None, True)
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["warnings"][0].startswith("the code index cache is from another mom version")
    wait_built(index)  # rebuilt once, in the background


def test_scan_reads_only_source_unless_the_task_speaks_of_tests(index_repo: MakeRepo) -> None:
    """Tests are matched by path words alone (their bytes are most of a big repo), so a
    test that merely repeats the task's words stays below the source; a task about tests
    reads them."""
    repo = index_repo(
        {
            **SAMPLE_PY,
            **FILLER,
            "tests/test_misc.py": "# jitter jitter jitter jitter\n",
            "tests/test_jitter.py": "# nothing here\n",
        }
    )
    found = [p for p, _ in quick.scan(repo, discover(repo).candidates, "jitter in the backoff")]
    assert "tests/test_misc.py" not in found  # its words are in its content only
    assert "tests/test_jitter.py" in found  # its path names the task's word
    about_tests = quick.scan(repo, discover(repo).candidates, "jitter tests are flaky")
    assert "tests/test_misc.py" in [p for p, _ in about_tests]


def test_first_answer_parses_a_bounded_number_of_bytes(
    index_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quick, "QUICK_MIN_FILES", 1)
    monkeypatch.setattr(quick, "QUICK_BYTES", 1)  # only the QUICK_MIN_PARSE best files
    import mom_cli.index.parse as parse_module  # first_context imports parse_file lazily

    parsed: list[str] = []

    original = parse_module.parse_file

    def spy(root: str, path: str, *args: object) -> object:
        parsed.append(path)
        return original(root, path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(parse_module, "parse_file", spy)
    extra = {"app/extra.py": "# the retry policy\n", "app/more.py": "# retry delay\n"}
    repo = index_repo({**SAMPLE_PY, **FILLER, **extra})
    query = "backoff delay of the retry policy"
    result = CodeIndex(repo).first_context(query, 2000)
    assert result is not None
    ranked = [p for p, _ in quick.scan(repo, discover(repo).candidates, query)]
    assert len(ranked) > quick.QUICK_MIN_PARSE
    assert parsed == ranked[: quick.QUICK_MIN_PARSE]
