"""`/undo` in the session and `mom undo` call the same service (mom_cli.service.undo):
both take the repo lock, so an undo never runs under another process's run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fakes import Reply
from pilot_helpers import SIZE, app_for, finish, log_text, submit
from tui_project import GOOD_EDIT, GOOD_OPS, OPS, REQUEST, USER_EDIT, Paid

from mom_cli.edits.lock import RepoLock

pytestmark = pytest.mark.anyio
MOM = Path(sys.executable).parent / "mom"


async def test_undo_waits_for_the_lock_then_reverts_the_run(project: Path, paid: Paid) -> None:
    paid.openai.script(Reply(content=GOOD_EDIT))
    app = app_for(project, paid.config, load_status=False)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, REQUEST)
        assert await finish(pilot) == 0, log_text(app)
        assert (project / "calc/ops.py").read_text() == GOOD_OPS
        with RepoLock(project, "milestone 3"):  # another process is editing the repo
            await submit(pilot, "/undo")
            assert await finish(pilot) == 2, log_text(app)
            assert "another mom process is editing" in log_text(app)
            assert (project / "calc/ops.py").read_text() == GOOD_OPS
        await submit(pilot, "/undo")
        assert await finish(pilot) == 0, log_text(app)
        assert "undid run" in log_text(app)
        await submit(pilot, "/undo")  # nothing left: a clear message, exit 1
        assert await finish(pilot) == 1, log_text(app)
        assert "nothing to undo" in log_text(app)
    assert (project / "calc/ops.py").read_text() == OPS
    assert (project / "NOTES.md").read_bytes() == USER_EDIT
    cli = subprocess.run([str(MOM), "undo", "--repo", str(project)], capture_output=True, text=True)
    assert cli.returncode == 1 and "nothing to undo" in cli.stderr + cli.stdout
