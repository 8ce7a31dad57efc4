"""`mom doctor` asks cargo whether clippy is there. cargo (through rustup) reads the
current folder's `rust-toolchain.toml`, whose `path` can name a toolchain the repo ships:
the probe must run sandboxed and away from the repo."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from hostile import make_repo

from mom_cli.service.doctor import _tool_present

SPY = """#!/bin/sh
python3 -c 'import json, os; print(json.dumps({"cwd": os.getcwd(), "env": dict(os.environ)}))' \
    > "$SPY_OUT"
exit 1
"""


def test_the_clippy_probe_runs_sandboxed_outside_the_repo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(tmp_path / "repo")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    cargo = bin_dir / "cargo"
    cargo.write_text(SPY)
    cargo.chmod(cargo.stat().st_mode | stat.S_IXUSR)
    out = tmp_path / "spy.json"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setenv("SPY_OUT", str(out))
    monkeypatch.setenv("GROQ_API_KEY", "gsk-never")
    monkeypatch.chdir(repo)

    assert _tool_present("clippy") is False

    seen = json.loads(out.read_text())
    assert not Path(seen["cwd"]).resolve().is_relative_to(repo.resolve())
    assert "GROQ_API_KEY" not in seen["env"]
