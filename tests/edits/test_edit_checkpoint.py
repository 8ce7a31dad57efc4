"""Checkpoints: byte-for-byte restore, per-step rollback, undo, crash recovery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mom_cli.edits.apply import apply_edits
from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.checkpoint import CheckpointStore, UndoRefusedError

USER_FILES: dict[str, str | bytes] = {
    "a.py": "x = 1\n",
    "b.py": "y = 2\n",
    "crlf.txt": "one\r\ntwo\r\n",
    "blob.bin": bytes(range(256)),
}


@pytest.fixture
def dirty_repo(make_repo: Callable[..., Path], run_git: Callable[..., str]) -> Path:
    """A repo with every kind of uncommitted user work."""
    repo = make_repo(USER_FILES)
    (repo / ".gitignore").write_text("*.log\n")
    (repo / "a.py").write_text("x = 1  # user edit, unstaged\n")
    (repo / "b.py").write_text("y = 2  # user edit, staged\n")
    run_git(repo, "add", "b.py")
    (repo / "b.py").write_text("y = 2  # staged, then edited again\n")
    (repo / "untracked.py").write_text("u = 1\n")
    (repo / "debug.log").write_text("ignored\n")
    return repo


def tree_bytes(repo: Path) -> dict[str, bytes]:
    return {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.parts and ".mom" not in p.parts
    }


def test_snapshot_leaves_index_and_stash_alone_and_restores_every_byte(
    dirty_repo: Path, run_git: Callable[..., str]
) -> None:
    before = tree_bytes(dirty_repo)
    staged = run_git(dirty_repo, "diff", "--cached")
    store = CheckpointStore(dirty_repo)
    ref = store.snapshot()
    assert ref.startswith("refs/mom/snapshots/")
    assert run_git(dirty_repo, "diff", "--cached") == staged
    assert run_git(dirty_repo, "stash", "list") == ""
    # mom (and chaos) change things...
    apply_edits(dirty_repo, [EditBlock("a.py", "x = 1", "x = 99")], store=store, snapshot=False)
    (dirty_repo / "untracked.py").unlink()
    (dirty_repo / "stray.py").write_text("junk\n")
    run_git(dirty_repo, "add", "-A")
    store.restore_snapshot(ref)
    after = tree_bytes(dirty_repo)
    assert after == {**before}
    assert run_git(dirty_repo, "diff", "--cached") == staged


def test_each_step_rolls_back_alone(dirty_repo: Path) -> None:
    store = CheckpointStore(dirty_repo)
    user_a = (dirty_repo / "a.py").read_bytes()
    one = apply_edits(dirty_repo, [EditBlock("a.py", "x = 1", "x = 10")], store=store)
    two = apply_edits(dirty_repo, [EditBlock("untracked.py", "u = 1", "u = 20")], store=store)
    store.rollback(one.id)
    assert (dirty_repo / "a.py").read_bytes() == user_a
    assert (dirty_repo / "untracked.py").read_text() == "u = 20\n"
    assert [s.status for s in store.steps()] == ["rolled_back", "applied"]
    assert two.snapshot_ref in store.snapshots()


def test_undo_reverts_the_last_change_and_refuses_after_user_edits(dirty_repo: Path) -> None:
    store = CheckpointStore(dirty_repo)
    before = tree_bytes(dirty_repo)
    apply_edits(dirty_repo, [EditBlock("a.py", "x = 1", "x = 10")], store=store)
    apply_edits(dirty_repo, [EditBlock("b.py", "y = 2", "y = 20")], store=store)
    (dirty_repo / "b.py").write_text("the user typed here\n")
    with pytest.raises(UndoRefusedError, match="b.py"):
        store.undo_last()
    assert (dirty_repo / "b.py").read_text() == "the user typed here\n"
    (dirty_repo / "b.py").write_text("y = 20  # staged, then edited again\n")  # back to mom's
    assert store.undo_last().paths == ["b.py"]
    assert store.undo_last().paths == ["a.py"]
    assert tree_bytes(dirty_repo) == before
    with pytest.raises(UndoRefusedError, match="nothing to undo"):
        store.undo_last()


def test_commit_step_then_undo(dirty_repo: Path, run_git: Callable[..., str]) -> None:
    store = CheckpointStore(dirty_repo)
    head = run_git(dirty_repo, "rev-parse", "HEAD").strip()
    staged = run_git(dirty_repo, "diff", "--cached")
    (dirty_repo / "c.py").write_text("c = 1\n")
    record = apply_edits(dirty_repo, [EditBlock("c.py", "c = 1", "c = 2")], store=store)
    commit = store.commit_step(record.id, "mom: fix c")
    assert run_git(dirty_repo, "log", "-1", "--format=%s").strip() == "mom: fix c"
    assert run_git(dirty_repo, "show", "--name-only", "--format=", commit).split() == ["c.py"]
    assert run_git(dirty_repo, "diff", "--cached") == staged  # user's staged b.py untouched
    store.undo_last()
    assert run_git(dirty_repo, "rev-parse", "HEAD").strip() == head
    assert (dirty_repo / "c.py").read_text() == "c = 1\n"
    assert run_git(dirty_repo, "diff", "--cached") == staged


KILLED_STEP = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from mom_cli.edits.apply import apply_edits
    from mom_cli.edits.blocks import EditBlock

    repo = Path(sys.argv[1])

    def pause(path):
        (repo.parent / "first-write-done").write_text(path)
        time.sleep(60)

    apply_edits(repo, [
        EditBlock("a.py", "x = 1", "x = 111"),
        EditBlock("b.py", "y = 2", "y = 222"),
        EditBlock("brand_new.py", "", "n = 1\\n"),
    ], after_write=pause)
    """
)


def test_sigkill_mid_step_is_recovered(dirty_repo: Path, tmp_path: Path) -> None:
    before = tree_bytes(dirty_repo)
    marker = dirty_repo.parent / "first-write-done"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_STEP, str(dirty_repo)])
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), "the child never reached its first write"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (dirty_repo / "a.py").read_text().startswith("x = 111")  # really half-applied
    recovered = CheckpointStore(dirty_repo).recover_interrupted()
    assert len(recovered) == 1 and recovered[0].status == "rolled_back"
    assert tree_bytes(dirty_repo) == before


def test_recovery_skips_steps_of_live_processes(dirty_repo: Path) -> None:
    store = CheckpointStore(dirty_repo)
    record = apply_edits(dirty_repo, [EditBlock("a.py", "x = 1", "x = 5")], store=store)
    record.status = "applying"  # as if another thread were still writing
    store.save(record)
    assert store.recover_interrupted() == []


def test_works_without_git(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "m.py").write_text("m = 1\n")
    record = apply_edits(folder, [EditBlock("m.py", "m = 1", "m = 2")])
    assert record.snapshot_ref == ""
    CheckpointStore(folder).undo_last()
    assert (folder / "m.py").read_text() == "m = 1\n"


def test_mom_undo_cli(dirty_repo: Path) -> None:
    import json

    from typer.testing import CliRunner

    from mom_cli.cli.app import app

    user_a = (dirty_repo / "a.py").read_bytes()
    apply_edits(dirty_repo, [EditBlock("a.py", "x = 1", "x = 7")])
    runner = CliRunner()
    done = runner.invoke(app, ["undo", "--repo", str(dirty_repo), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["undone"]["files"][0]["path"] == "a.py"
    assert (dirty_repo / "a.py").read_bytes() == user_a
    again = runner.invoke(app, ["undo", "--repo", str(dirty_repo)])
    assert again.exit_code == 1 and "nothing to undo" in again.output


def test_commit_only_when_configured(dirty_repo: Path, run_git: Callable[..., str]) -> None:
    from mom_cli.edits.checkpoint import commit_if_configured

    store = CheckpointStore(dirty_repo)
    record = apply_edits(
        dirty_repo, [EditBlock("a.py", "x = 1", "x = 4")], summary="fix a", store=store
    )
    assert (
        commit_if_configured(store, record, enabled=False, message_template="mom: {summary}") == ""
    )
    sha = commit_if_configured(store, record, enabled=True, message_template="mom: {summary}")
    assert run_git(dirty_repo, "log", "-1", "--format=%H %s").strip() == f"{sha} mom: fix a"
