"""Ctrl+C during `/fix` while the validation's test suite is running: the suite's
process group is killed at once (not waited for), the in-flight step is rolled back, the
user's files are untouched and the repo lock is free."""

from __future__ import annotations

import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import tomli_w
from fakes import FakeServer, OllamaWire, Reply
from git_repos import make_repo  # noqa: F401 (a fixture)
from pilot_helpers import SIZE, app_for, finish, log_text, submit, until
from processes import MARK, marked, wait_until_gone
from tui_project import Paid

from mom_cli.edits.lock import RepoLock

pytestmark = pytest.mark.anyio

BROKEN = '"""Arithmetic."""\n\n\ndef add(a: int, b: int) -> int:\n    return a - b\n'
FIX = """calc/ops.py
<<<<<<< SEARCH
    return a - b
=======
    return a + b
>>>>>>> REPLACE
"""
TEST = """import os
import time

from calc.ops import add

CTRL = {ctrl!r}


def test_add() -> None:
    if os.path.exists(os.path.join(CTRL, "SLOW")):  # the test suite turns slow on demand
        with open(os.path.join(CTRL, "pid-%d" % os.getpid()), "w") as f:
            f.write(str(os.getpid()))
        time.sleep(1200)
    assert add(2, 3) == 5
"""


@pytest.fixture
def ollama() -> Iterator[FakeServer]:
    """The local tier (fix-build climbs from it): an Ollama-wire loopback fake."""
    with FakeServer(OllamaWire()) as server:
        yield server


def snapshot(repo: Path) -> dict[str, bytes]:
    skip = {".git", ".mom", "__pycache__", ".pytest_cache", ".ruff_cache"}
    return {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and not skip.intersection(p.relative_to(repo).parts)
    }


async def test_cancel_fix_kills_the_running_test_suite_and_rolls_back(
    make_repo: Callable[..., Path],  # noqa: F811
    paid: Paid,
    ollama: FakeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctrl = tmp_path / "ctrl"
    ctrl.mkdir()
    # the suite's pid files hold PID-namespace numbers: its processes are found by a mark
    monkeypatch.setenv(MARK, str(ctrl))
    repo = make_repo(
        {
            "pyproject.toml": '[project]\nname = "calc"\nversion = "0.1.0"\n',
            "calc/__init__.py": '"""calc."""\n',
            "calc/ops.py": BROKEN,
            "tests/test_ops.py": TEST.format(ctrl=str(ctrl)),
        }
    )
    (repo / "NOTES.md").write_text("my own uncommitted notes\n")
    before = snapshot(repo)
    # the local tier offers the fix; its reply is held 2 s so the suite can turn slow first
    ollama.script(Reply(content=FIX, delay=2))
    data = tomllib.loads(paid.config.read_text())
    data["providers"]["ollama"]["base_url"] = ollama.url
    # far beyond the wait below: only the cancel itself can end the sleeping suite in time
    data["validation"]["timeout_seconds"] = 1800
    config = tmp_path / "with-ollama.toml"
    config.write_text(tomli_w.dumps(data))
    app = app_for(repo, config, load_status=False)
    async with app.run_test(size=SIZE) as pilot:
        await submit(pilot, "/fix")
        await until(pilot, lambda: ollama.chat_requests or app.last_exit is not None)
        assert ollama.chat_requests, log_text(app)
        (ctrl / "SLOW").write_text("1")
        # the fix is applied and its validation is running the (now sleeping) test suite
        await until(pilot, lambda: list(ctrl.glob("pid-*")), timeout=120)
        assert marked(str(ctrl))
        assert "return a + b" in (repo / "calc/ops.py").read_text()
        cancelled_at = time.monotonic()
        await pilot.press("ctrl+c")
        assert await finish(pilot, timeout=120) == 130, log_text(app)
        waited = time.monotonic() - cancelled_at
        assert "rolled back" in log_text(app)
    survivors = wait_until_gone(str(ctrl), 2)
    assert not survivors, f"the test suite survived the cancel ({waited:.1f} s)"
    assert snapshot(repo) == before
    lock = RepoLock(repo, "test")
    lock.acquire()  # free again
    lock.release()
