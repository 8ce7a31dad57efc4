"""The terminal goes away mid-run: the installed `mom` under tmux, a run held in flight by
a slow loopback paid tier, then `tmux kill-session`. The run must finish anyway (the file
is fixed, the lock released, `.mom/detached.json` says so) and the next session says what
happened while the user was away."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import tomli_w
from fakes import AnthropicWire, FakeServer, OpenAIWire, Reply
from git_repos import make_repo  # noqa: F401 (a fixture)

from mom_cli.edits.lock import RepoLock

MOM = Path(sys.executable).parent / "mom"
KEY = "sk-test-detach-0123456789"
OPS = '"""Arithmetic."""\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n'
FILES = {
    "pyproject.toml": '[project]\nname = "calc"\nversion = "0.1.0"\n',
    "calc/__init__.py": '"""calc."""\n',
    "calc/ops.py": OPS,
    "tests/test_ops.py": "from calc.ops import add\n\n\ndef test_add() -> None:\n"
    "    assert add(2, 3) == 5\n",
}
REQUEST = "Add a function double(x) to calc/ops.py that returns x * 2"
EDIT = """calc/ops.py
<<<<<<< SEARCH
    return a + b
=======
    return a + b


def double(x: int) -> int:
    return x * 2
>>>>>>> REPLACE
"""
FIXED = OPS + "\n\ndef double(x: int) -> int:\n    return x * 2\n"

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def tmux(session: str, *args: str) -> str:
    """tmux on a server of the session's own (-L): other tests' and users' tmux sessions,
    and a default server exiting as its last session dies, cannot interfere."""
    cmd = ["tmux", "-L", session, *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def wait(check: Callable[[], object], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def kill_session(session: str) -> None:
    subprocess.run(["tmux", "-L", session, "kill-session", "-t", session], capture_output=True)


def wait_screen(session: str, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    shown = ""
    while text not in shown:
        assert time.monotonic() < deadline, f"{text!r} never appeared; screen:\n{shown}"
        time.sleep(0.2)
        shown = screen(session)


def screen(session: str) -> str:
    return tmux(session, "capture-pane", "-p", "-t", session)


def start_mom(session: str, repo: Path, config: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k.startswith(("MOM_", "PYTHONPATH", "HOME"))}
    env |= {"GROQ_API_KEY": KEY, "DEEPSEEK_API_KEY": KEY, "ANTHROPIC_API_KEY": KEY}
    assigns = " ".join(f"{k}={v}" for k, v in env.items())
    command = f"cd {repo} && env {assigns} {MOM} tui --config {config}"
    tmux(session, "new-session", "-d", "-s", session, "-x", "120", "-y", "36", command)


def lock_is_free(repo: Path) -> bool:
    lock = RepoLock(repo, "test")
    try:
        lock.acquire()
    except Exception:
        return False
    lock.release()
    return True


def mom_pids(repo: Path) -> list[int]:
    """Processes whose working directory is the repo (the detached session)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if Path(os.readlink(proc / "cwd")) == repo:
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def test_run_survives_a_killed_terminal_and_the_next_session_says_so(
    make_repo: Callable[..., Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    repo = make_repo(FILES).resolve()
    with FakeServer(OpenAIWire()) as openai, FakeServer(AnthropicWire()) as anthropic:
        openai.script(Reply(content=EDIT, delay=4))  # the call stays in flight 4 s
        config = tmp_path / "routing.toml"
        config.write_text(
            tomli_w.dumps(
                {
                    "local_models": {"embedded_model_path": str(tmp_path / "none.gguf")},
                    "routing": {"learn_from_outcomes": False},
                    "providers": {
                        "ollama": {"base_url": "http://127.0.0.1:9"},
                        "groq": {"base_url": openai.url, "timeout": 30},
                        "deepseek": {"base_url": openai.url + "/v1", "timeout": 30},
                        "anthropic": {"base_url": anthropic.url, "timeout": 30},
                    },
                }
            )
        )
        session = f"mom-detach-{os.getpid()}"
        start_mom(session, repo, config)
        try:
            wait_screen(session, "type a request")
            tmux(session, "send-keys", "-t", session, REQUEST, "Enter")
            wait(lambda: openai.chat_requests, "the paid call to be in flight")
            assert (repo / "calc/ops.py").read_text() == OPS
        finally:
            kill_session(session)
        # the terminal is gone; the run is not
        record = repo / ".mom" / "detached.json"
        wait(record.exists, "the detached run's record", timeout=120)
    doc = json.loads(record.read_text())
    assert doc["command"] == "run" and doc["exit_code"] == 0, doc
    assert doc["held"], doc  # the validated change was kept (held for review)
    assert (repo / "calc/ops.py").read_text() == FIXED
    # the forced-exit timer is 15 s; a loaded machine (the full suite) can take longer
    wait(lambda: not mom_pids(repo), "the detached session to exit", timeout=90)
    assert lock_is_free(repo)

    session = f"mom-reopen-{os.getpid()}"
    start_mom(session, repo, config)
    try:
        # the notice's first lines may scroll out of the small log panel before a capture
        # (the pilot tests read it whole); its last line stays in view
        wait_screen(session, "1 change(s) left applied")
    finally:  # an idle session whose terminal dies just exits
        kill_session(session)
    wait(lambda: not mom_pids(repo), "the idle session to exit after the hang-up", timeout=90)
    assert not record.exists() and (repo / ".mom" / "detached.seen.json").exists()
