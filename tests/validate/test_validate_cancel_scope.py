"""A cancel kills the process groups a run has running (mom_cli.procscope): a sleeping
test suite started by `run_command` in a worker thread ends at once, grandchildren too."""

from __future__ import annotations

import asyncio
import contextvars
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import MARK, kill_marked, marked, wait_until_gone

from mom_cli import procscope
from mom_cli.service.cancel import Cancelled, CancelToken, run_async
from mom_cli.validate.runner import CommandResult, run_command

# `$!`/`$$` are PID-namespace numbers (mom_cli.sandbox_pid): the files only say "started";
# the processes are found by the mark in their environment (tests/processes.py).
SLEEPER = "sleep 600 & echo $! > child.pid; echo $$ > shell.pid; wait"


@pytest.fixture
def mark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(MARK, str(tmp_path))
    yield str(tmp_path)
    kill_marked(str(tmp_path))


def wait_for(path: Path) -> int:
    deadline = time.monotonic() + 30
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
    return int(path.read_text())


def test_kill_all_ends_a_running_command_and_its_grandchildren(tmp_path: Path, mark: str) -> None:
    results: list[CommandResult] = []
    with procscope.opened() as scope:
        # contextvars do not cross into a plain Thread: hand the context over explicitly
        ctx = contextvars.copy_context()
        worker = threading.Thread(
            target=lambda: results.append(ctx.run(run_command, SLEEPER, tmp_path, timeout=600))
        )
        worker.start()
        wait_for(tmp_path / "shell.pid"), wait_for(tmp_path / "child.pid")
        assert scope.live == 1 and len(marked(mark)) == 2  # the shell and its sleep
        assert scope.kill_all() == 1
        worker.join(timeout=30)
    assert not worker.is_alive()
    assert results[0].returncode != 0 and "the run was cancelled" in results[0].stderr
    assert not wait_until_gone(mark, 2)
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


def test_run_async_cancel_kills_validation_in_to_thread(tmp_path: Path, mark: str) -> None:
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
    assert not wait_until_gone(mark, 2)


def test_ctrl_c_in_a_terminal_kills_the_running_validation_too(tmp_path: Path, mark: str) -> None:
    """SIGINT while `run_async` waits (no token): asyncio.run cancels the run, and the
    sleeping suite, in its own session out of the terminal's reach, is killed with it."""

    async def validate() -> CommandResult:
        return await asyncio.to_thread(run_command, SLEEPER, tmp_path, timeout=600)

    def interrupt_when_running() -> None:
        wait_for(tmp_path / "child.pid")
        os.kill(os.getpid(), signal.SIGINT)

    # A terminal's Ctrl+C. A job started with `&` by a non-interactive shell (a CI script
    # backgrounding the suite) inherits SIGINT ignored, and then asyncio installs no
    # handler and the signal never arrives: the test hung until pytest-timeout.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=interrupt_when_running, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            run_async(validate())
    finally:
        signal.signal(signal.SIGINT, previous)
    assert not wait_until_gone(mark, 2)
