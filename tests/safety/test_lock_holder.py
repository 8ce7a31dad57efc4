"""Reading who holds the repo lock without taking it (the session's "another mom process
is working here"): only a live other process counts; a dead holder's line, our own pid
and garbage a cloned repo could ship in `.mom/lock` read as free."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mom_cli.edits.lock import RepoLock, holder_elsewhere


def _lock_file(repo: Path, text: str) -> None:
    (repo / ".mom").mkdir(exist_ok=True)
    (repo / ".mom" / "lock").write_text(text, encoding="utf-8")


def test_a_live_other_process_is_named_and_a_dead_one_or_we_are_not(tmp_path: Path) -> None:
    assert holder_elsewhere(tmp_path) is None  # no .mom at all
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        _lock_file(tmp_path, f"pid {child.pid}, `mom run`, since 2026-12-02T16:00:00Z\n")
        assert holder_elsewhere(tmp_path) == (
            f"pid {child.pid}, `mom run`, since 2026-12-02T16:00:00Z"
        )
    finally:
        child.kill()
        child.wait()
    assert holder_elsewhere(tmp_path) is None  # killed: its line is stale
    with RepoLock(tmp_path, "run"):
        assert holder_elsewhere(tmp_path) is None  # this process's own lock
    assert holder_elsewhere(tmp_path) is None  # released: the line is truncated


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
@example("pid 0, `mom run`")  # kill(0, 0) succeeds: it is our own process group
@example("pid \u00b2, `mom run`")  # a digit to str.isdigit, not to int()
def test_garbage_in_the_lock_file_reads_as_free_or_names_a_live_pid(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        _lock_file(repo, text)
        found = holder_elsewhere(repo)
        if found is not None:  # only when it names a live process other than us
            pid = int(found.split(",", 1)[0][4:])
            assert pid != os.getpid()
            os.kill(pid, 0)
