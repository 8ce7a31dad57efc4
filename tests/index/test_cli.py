"""`mom index` / `mom context` through the real Typer app, and the core-import boundary."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from index_helpers import SAMPLE_PY
from typer.testing import CliRunner

from mom_cli.cli.app import app

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]
runner = CliRunner()


def test_index_and_context_json(index_repo: MakeRepo) -> None:
    repo = index_repo(SAMPLE_PY)
    result = runner.invoke(app, ["index", "--repo", str(repo), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["files"] == 3 and doc["parsed"] == 3 and doc["symbols"] > 0
    assert (repo / ".mom" / "index.sqlite3").is_file()

    result = runner.invoke(
        app, ["context", "RetryPolicy attempts", "--budget", "200", "--repo", str(repo), "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= {"files", "bytes", "tokens", "excerpts"}
    assert doc["files"][0]["path"] == "app/retry.py"
    assert 0 < doc["tokens"] <= 200
    assert doc["excerpts"][0]["symbol"] == "RetryPolicy"


def test_context_text_and_bad_budget(index_repo: MakeRepo) -> None:
    repo = index_repo(SAMPLE_PY)
    result = runner.invoke(app, ["context", "HttpClient", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    assert "class HttpClient:" in result.stdout
    bad = runner.invoke(app, ["context", "x", "--budget", "0", "--repo", str(repo), "--json"])
    assert bad.exit_code == 2
    assert "budget" in json.loads(bad.stdout)["error"]


def test_index_library_imports_no_front_end() -> None:
    code = (
        "import sys, mom_cli.index.api, mom_cli.index.build, mom_cli.index.context\n"
        "bad = [m for m in sys.modules if m.startswith(('mom_cli.cli', 'mom_cli.tui', "
        "'mom_cli.gateway', 'typer', 'rich'))]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
