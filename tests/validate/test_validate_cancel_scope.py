"""A cancel kills the process groups a run has running (mom_cli.procscope): a sleeping
test suite started by `run_command` in a worker thread ends at once, grandchildren too."""

from __future__ import annotations

import asyncio
import contextvars
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from mom_cli import procscope
from mom_cli.service.cancel import Cancelled, CancelToken, run_async
from mom_cli.validate.runner import CommandResult, run_command

SLEEPER = "sleep 600 & echo $! > child.pid; echo $$ > shell.pid; wait"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def wait_for(path: Path) -> int:
    deadline = time.monotonic() + 30
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
    return int(path.read_text())


def test_kill_all_ends_a_running_command_and_its_grandchildren(tmp_path: Path) -> None:
    results: list[CommandResult] = []
    with procscope.opened() as scope:
        # contextvars do not cross into a plain Thread: hand the context over explicitly
        ctx = contextvars.copy_context()
        worker = threading.Thread(
            target=lambda: results.append(ctx.run(run_command, SLEEPER, tmp_path, timeout=600))
        )
        worker.start()
        shell, child = wait_for(tmp_path / "shell.pid"), wait_for(tmp_path / "child.pid")
        assert scope.live == 1 and alive(child)
        assert scope.kill_all() == 1
        worker.join(timeout=30)
    assert not worker.is_alive()
    assert results[0].returncode != 0 and "the run was cancelled" in results[0].stderr
    assert not alive(shell) and not alive(child)
    assert scope.live == 0


def test_a_command_started_after_the_cancel_dies_at_once(tmp_path: Path) -> None:
    with procscope.opened() as scope:
        scope.kill_all()
        result = run_command(["sleep", "600"], tmp_path, timeout=600)
    assert result.returncode == -9 and "cancelled" in result.stderr


def test_outside_a_scope_commands_run_as_before(tmp_path: Path) -> None:
    assert procscope.current() is None
    result = run_command(["echo", "hi"], tmp_path, timeout=30)
    assert result.returncode == 0 and result.stdout.strip() == "hi"


def test_run_async_cancel_kills_validation_in_to_thread(tmp_path: Path) -> None:
    """The service path: run_async's token kills what the task's threads started."""
    token = CancelToken()

    async def validate() -> CommandResult:
        return await asyncio.to_thread(run_command, SLEEPER, tmp_path, timeout=600)

    def cancel_when_running() -> None:
        wait_for(tmp_path / "child.pid")
        token.cancel()

    canceller = threading.Thread(target=cancel_when_running)
    canceller.start()
    with pytest.raises(Cancelled):  # the task let the cancellation through
        run_async(validate(), token)
    canceller.join()
    assert not alive(int((tmp_path / "child.pid").read_text()))
    assert not alive(int((tmp_path / "shell.pid").read_text()))


def test_ctrl_c_in_a_terminal_kills_the_running_validation_too(tmp_path: Path) -> None:
    """SIGINT while `run_async` waits (no token): asyncio.run cancels the run, and the
    sleeping suite, in its own session out of the terminal's reach, is killed with it."""

    async def validate() -> CommandResult:
        return await asyncio.to_thread(run_command, SLEEPER, tmp_path, timeout=600)

    def interrupt_when_running() -> None:
        wait_for(tmp_path / "child.pid")
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_running, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        run_async(validate())
    assert not alive(int((tmp_path / "child.pid").read_text()))
    assert not alive(int((tmp_path / "shell.pid").read_text()))
