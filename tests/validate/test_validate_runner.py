"""The command runner: timeouts kill the whole process group; toolchain order is recorded."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from processes import mark_env, wait_until_gone

from mom_cli.validate.runner import project_python, resolve_tool, ruff_tool, run_command


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    mark = str(tmp_path)
    started = time.monotonic()
    result = run_command("sleep 30 & wait", tmp_path, timeout=1.0, env=mark_env(mark))
    assert result.timed_out and time.monotonic() - started < 10
    assert "killed after 1 s" in result.output
    assert not wait_until_gone(mark, 2.5), "the grandchild survived the timeout"


def test_output_and_exit_code(tmp_path: Path) -> None:
    result = run_command(
        [sys.executable, "-c", "import sys; print('hi'); sys.exit(3)"], tmp_path, timeout=30
    )
    assert (result.returncode, result.stdout.strip(), result.timed_out) == (3, "hi", False)


def _fake_tool(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\necho fake\n")
    path.chmod(0o755)
    return path


def test_toolchain_order_config_then_venv_then_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "proj"
    on_path = _fake_tool(tmp_path / "bin", "ruff")
    monkeypatch.setenv("PATH", f"{on_path.parent}:{os.environ['PATH']}")
    assert resolve_tool(repo, "ruff") is not None
    assert resolve_tool(repo, "ruff").source == "PATH"  # type: ignore[union-attr]
    _fake_tool(repo / ".venv" / "bin", "python")
    venv_ruff = _fake_tool(repo / ".venv" / "bin", "ruff")
    tool = resolve_tool(repo, "ruff")
    assert tool is not None and tool.source == "project venv" and tool.argv == (str(venv_ruff),)
    configured = resolve_tool(repo, "ruff", configured="ruff check --select F")
    assert configured is not None and configured.source == "config"
    assert "project venv" in project_python(repo).describe()


def test_ruff_always_available(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    tool = ruff_tool(tmp_path)
    assert tool.source == "mom"
    assert run_command(tool.command("--version"), tmp_path, timeout=30).returncode == 0
