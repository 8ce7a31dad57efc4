"""One editing mom per repository: two fix-builds at once leave exactly one run's result,
the second exits 2 at once naming the first, and `mom undo` then undoes the first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile import SECRET, FakeServer, Reply, user_config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflows"))
from fix_build_helpers import GOOD_MEAN_EDIT, LOGIC_BUG, STATS, make_project  # noqa: E402

from mom_cli.edits.lock import RepoLock  # noqa: E402
from mom_cli.errors import LockedError  # noqa: E402
from mom_cli.workflows.milestone.lock import RepoLock as OldPath  # noqa: E402

MOM = str(Path(sys.executable).parent / "mom")


def _mom(*args: str, repo: Path, cfg: Path | None = None) -> subprocess.Popen[str]:
    extra = ["--config", str(cfg)] if cfg else []
    return subprocess.Popen(
        [MOM, *args, "--repo", str(repo), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "DEEPSEEK_API_KEY": SECRET},
    )  # fmt: skip


def _wait_for_holder(repo: Path, seconds: float = 120) -> str:
    lock = repo / ".mom" / "lock"
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        text = lock.read_text() if lock.exists() else ""
        if text.strip():
            return text
        time.sleep(0.05)
    raise AssertionError("the first fix-build never took the lock")


def test_two_fix_builds_at_once(hostile_model: FakeServer, tmp_path: Path) -> None:
    repo = make_project(tmp_path / "calc", LOGIC_BUG)
    # the model answers slowly, so the first run is still working when the second starts
    hostile_model.script(*[Reply(content=GOOD_MEAN_EDIT, delay=4)] * 4)
    cfg = user_config(tmp_path / "user.toml", hostile_model.url)

    first = _mom("fix-build", "--json", repo=repo, cfg=cfg)
    holder = _wait_for_holder(repo)
    assert f"pid {first.pid}, `mom fix-build`, since " in holder
    second = _mom("fix-build", "--json", repo=repo, cfg=cfg)
    out2, _ = second.communicate(timeout=120)
    out1, err1 = first.communicate(timeout=300)

    assert second.returncode == 2
    doc2 = json.loads(out2)
    assert doc2["kind"] == "LockedError"
    assert f"pid {first.pid}" in doc2["error"] and "`mom fix-build`" in doc2["error"]
    assert first.returncode == 0, err1
    assert json.loads(out1)["passed"] is True
    assert (repo / "calc/stats.py").read_text() == STATS  # exactly the first run's result
    assert len(hostile_model.chat_requests) == 1  # the second run never reached a model

    undo = _mom("undo", "--json", repo=repo)
    out, err = undo.communicate(timeout=120)
    assert undo.returncode == 0, err
    assert json.loads(out)["undone"] is not None
    assert "/ (len(values) - 1)" in (repo / "calc/stats.py").read_text()


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    code = (
        "import sys, time; from pathlib import Path\n"
        "from mom_cli.edits.lock import RepoLock\n"
        f"lock = RepoLock(Path({str(repo)!r}), 'fix-build'); lock.acquire()\n"
        "print('held', flush=True); time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(LockedError, match=rf"pid {proc.pid}, `mom fix-build`"):
            RepoLock(repo, "undo").acquire()
    finally:
        proc.kill()
        proc.wait()
    with RepoLock(repo, "undo") as lock:  # kill -9 released the flock: no stale lock
        assert lock.held
        assert f"pid {os.getpid()}, `mom undo`" in (repo / ".mom" / "lock").read_text()


def test_the_old_import_path_still_works() -> None:
    assert OldPath is RepoLock


@pytest.mark.parametrize("command", [["run", "do something"], ["undo"]])
def test_run_and_undo_take_the_lock(tmp_path: Path, command: list[str]) -> None:
    repo = make_project(tmp_path / "calc")
    with RepoLock(repo, "milestone 1"):
        proc = _mom(*command, "--json", repo=repo)
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert json.loads(out)["kind"] == "LockedError"
