"""A provider that echoes the key in its errors (many do, in part; a hostile one in full)
must not get it into anything mom prints or keeps: the terminal, the ledger, `.mom/`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostile import REQUEST, SECRET, FakeServer, Reply, make_repo, user_config
from typer.testing import CliRunner

from mom_cli.cli.app import app


def files_holding(folder: Path, needle: bytes) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


@pytest.mark.parametrize("status", [400])
def test_an_error_echoing_the_key_is_scrubbed_everywhere(
    hostile_model: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    repo = make_repo(tmp_path / "repo")
    echo = f"Incorrect API key provided: {SECRET} (Bearer {SECRET})"
    hostile_model.script(*[Reply.status_code(status, echo) for _ in range(8)])
    cfg = user_config(tmp_path / "user.toml", hostile_model.url)
    monkeypatch.setenv("DEEPSEEK_API_KEY", SECRET)

    result = CliRunner().invoke(
        app, ["run", REQUEST, "--json", "--repo", str(repo), "--config", str(cfg)]
    )

    assert hostile_model.chat_requests, result.output  # the provider was really called
    assert SECRET not in result.output
    assert files_holding(Path(os.environ["MOM_HOME"]), SECRET.encode()) == []
    assert files_holding(repo / ".mom", SECRET.encode()) == []
