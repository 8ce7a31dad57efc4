"""The installed `mom` in a real terminal (tmux): open, type /doctor, read the screen,
Ctrl+Q, exit code 0. And `mom index` / `mom context` never import Textual."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tui_project import make_project

MOM = Path(sys.executable).parent / "mom"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def wait_for(session: str, text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; screen:\n{screen}")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_installed_mom_under_tmux(tmp_path: Path) -> None:
    repo = make_project(tmp_path / "calc")
    status = tmp_path / "exit-code"
    session = f"mom-smoke-{os.getpid()}"
    env = " ".join(
        f"{k}={v}" for k, v in os.environ.items() if k.startswith(("MOM_", "PYTHONPATH"))
    )
    command = f"cd {repo} && env {env} {MOM}; echo $? > {status}"
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "36", command)
    try:
        wait_for(session, "type a request")
        tmux("send-keys", "-t", session, "/doctor", "Enter")
        screen = wait_for(session, "doctor: ok", timeout=60)
        assert "tiers:" in screen and "rules" in screen
        tmux("send-keys", "-t", session, "C-q")
        deadline = time.monotonic() + 20
        while not status.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


@pytest.mark.parametrize(
    "argv",
    [["index", "--json"], ["context", "add", "--json"], ["context", "--help"]],
)  # the last one goes through the whole Typer app
def test_index_and_context_never_import_textual(tmp_path: Path, argv: list[str]) -> None:
    repo = make_project(tmp_path / "calc")
    argv = [*argv, "--repo", str(repo)]
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    out = subprocess.run([str(MOM), *argv], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    assert "mom_cli.cli.index_run" in imported or "typer" in imported
    assert not {m for m in imported if m.startswith(("textual", "mom_cli.tui"))}


def test_mom_without_textual_prints_a_hint_and_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "textual.py").write_text("raise ImportError('textual blocked for this test')\n")
    repo = make_project(tmp_path / "calc")
    env = {**os.environ, "PYTHONPATH": f"{blocker}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out = subprocess.run([str(MOM)], cwd=repo, capture_output=True, text=True, env=env)
    assert out.returncode == 2
    assert "pip install 'mom-cli[tui]'" in out.stderr
