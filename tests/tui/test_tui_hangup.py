"""SIGHUP in the session (the terminal hung up), driven with Pilot: the terminal swap is
replaced by a recorder so the test process keeps its own stdio."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import Reply
from pilot_helpers import SIZE, app_for, log_text, submit, until
from tui_project import GOOD_EDIT, GOOD_OPS, REQUEST, USER_EDIT, Paid

from mom_cli.tui import app as app_module

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def _no_forced_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The forced exit of a stuck detached session must never fire inside pytest."""
    monkeypatch.setattr(app_module, "DETACHED_EXIT_GRACE", 3600.0)


async def test_hangup_mid_run_finishes_the_run_records_it_and_exits(
    project: Path, paid: Paid
) -> None:
    (project / "SLOW").write_text("2")  # validation takes a while: hang up during it
    paid.openai.script(Reply(content=GOOD_EDIT))
    swaps: list[int] = []
    app = app_for(project, paid.config, detach=lambda: swaps.append(1))
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, REQUEST)
        await until(pilot, lambda: (project / "calc/ops.py").read_text() == GOOD_OPS)
        assert app.busy == 1
        app.on_sighup()
        app.on_sighup()  # a second hang-up changes nothing
        assert swaps == [1] and app.detached
        await until(pilot, lambda: not app.is_running, timeout=120)
    assert app.return_code == 0
    assert app._exit_timer is not None and app._exit_timer.finished.is_set()  # cancelled
    doc = json.loads((project / ".mom" / "detached.json").read_text())
    assert doc["command"] == "run" and doc["exit_code"] == 0 and len(doc["held"]) == 1
    assert (project / "calc/ops.py").read_text() == GOOD_OPS  # the change is kept
    assert (project / "NOTES.md").read_bytes() == USER_EDIT

    again = app_for(project, paid.config, load_status=False)
    async with again.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "finished while detached: /run" in log_text(again))
        # which files, not only how many (the record names them)
        assert "1 change(s) left applied (calc/ops.py); /undo reverts" in log_text(again)
    assert not (project / ".mom" / "detached.json").exists()


async def test_hangup_while_idle_just_exits(project: Path, paid: Paid) -> None:
    app = app_for(project, paid.config, load_status=False, detach=lambda: None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.ws is not None)
        app.on_sighup()
        await until(pilot, lambda: not app.is_running, timeout=30)
    assert app.return_code == 0
    assert not (project / ".mom" / "detached.json").exists()


HOLDER = """
import sys, time
from pathlib import Path
from mom_cli.edits.lock import RepoLock
from mom_cli.service import detached
repo = Path(sys.argv[1])
with RepoLock(repo, "run"):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
time.sleep(0.5)  # the record comes just after the lock is released, as in the session
detached.record(repo, "run", 0, "passed: 1 calls", [])
"""


async def test_a_session_opened_while_a_detached_run_finishes_says_so_then_shows_it(
    project: Path, paid: Paid
) -> None:
    """The session used to say nothing: the first /undo met a bare lock error, and the
    detached run's record waited for yet another session."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(project), "3"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        app = app_for(project, paid.config, load_status=False)
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: "another mom process is working here" in log_text(app))
            assert f"pid {holder.pid}, `mom run`" in log_text(app)
            await until(pilot, lambda: "finished while detached: /run" in log_text(app), 30)
            assert "passed: 1 calls" in log_text(app)
    finally:
        holder.kill()
        holder.wait()
    assert not (project / ".mom" / "detached.json").exists()  # shown once, set aside
