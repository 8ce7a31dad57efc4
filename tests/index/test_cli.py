"""`mom index` / `mom context` through the real Typer app, and the core-import boundary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from index_helpers import SAMPLE_PY
from typer.testing import CliRunner

from mom_cli.cli.app import app
from mom_cli.cli.fast import parse_fast, run_fast

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


def _fast(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    parsed = parse_fast(argv)
    assert parsed is not None, argv
    code = run_fast(*parsed)
    return code, capsys.readouterr().out


def test_fast_entry_matches_the_typer_app(
    index_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = str(index_repo(SAMPLE_PY))
    cases = [
        ["index", "--repo", repo, "--json"],
        ["context", "RetryPolicy attempts", "--budget", "200", "--repo", repo, "--json"],
        ["context", "HttpClient", f"--repo={repo}", "--file", "app/http.py"],
        ["context", "x", "--budget", "0", "--repo", repo, "--json"],
        ["context", "x", "--summarized", "--repo", repo, "--json", "--budget=300"],
        ["context", "RetryPolicy", "--repo", repo, "--json", "--session", "fast-1"],
        ["index", "--repo", repo + "/missing", "--json"],
    ]
    _fast(["index", "--repo", repo], capsys)  # both sides then see the same warm cache
    sessions = Path(repo) / ".mom" / "sessions"
    for argv in cases:
        shutil.rmtree(sessions, ignore_errors=True)  # each side starts a fresh session
        code, out = _fast(argv, capsys)
        shutil.rmtree(sessions, ignore_errors=True)
        typer_result = runner.invoke(app, argv)
        assert (code, _stable(out)) == (typer_result.exit_code, _stable(typer_result.stdout)), argv


def _stable(out: str) -> str:
    """Timings differ between two runs; everything else must not."""
    return "\n".join(line for line in out.splitlines() if '"seconds"' not in line)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["index", "--help"],
        ["index", "-h"],
        ["index", "extra"],
        ["index", "--jsn"],
        ["index", "--repo"],
        ["index", "--repo", "a", "--repo", "b"],
        ["index", "--repo="],
        ["index", "--repo", "--json"],
        ["index", "--json=1"],
        ["context"],
        ["context", "a", "b"],
        ["context", "q", "--budget", "ten"],
        ["context", "q", "--", "-x"],
        ["context", ""],
        ["doctor"],
    ],
)
def test_anything_unusual_goes_to_the_typer_app(argv: list[str]) -> None:
    assert parse_fast(argv) is None


@given(st.lists(st.text(max_size=12), max_size=6))
def test_parse_fast_never_raises(argv: list[str]) -> None:
    parsed = parse_fast(["context", *argv])
    if parsed is not None:
        assert isinstance(parsed[1]["query"], str) and parsed[1]["query"]


def test_installed_mom_index_skips_typer(index_repo: MakeRepo) -> None:
    repo = index_repo(SAMPLE_PY)
    mom = Path(sys.executable).parent / "mom"
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    for _ in range(2):  # the first run validates the config (pydantic) and snapshots it
        out = subprocess.run(
            [str(mom), "context", "RetryPolicy", "--repo", str(repo), "--json"],
            capture_output=True, text=True, env=env, check=True,
        )  # fmt: skip
    assert json.loads(out.stdout)["files"][0]["path"] == "app/retry.py"
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    assert "mom_cli.index.api" in imported
    assert not imported & {"typer", "rich", "pydantic", "click"}


def test_session_sends_unchanged_excerpts_once(index_repo: MakeRepo) -> None:
    repo = index_repo(SAMPLE_PY)
    args = ["context", "RetryPolicy attempts", "--budget", "2000", "--repo", str(repo)]
    first = json.loads(runner.invoke(app, [*args, "--session", "chat-1", "--json"]).stdout)
    second = json.loads(runner.invoke(app, [*args, "--session", "chat-1", "--json"]).stdout)
    assert not any(e["already_sent"] for e in first["excerpts"])
    resent = [e for e in second["excerpts"] if e["already_sent"]]
    assert resent and all(e["text"] == "" for e in resent)
    assert second["tokens"] < first["tokens"]
    other = json.loads(runner.invoke(app, [*args, "--session", "chat-2", "--json"]).stdout)
    assert other["excerpts"] == first["excerpts"]  # sessions do not share what they sent


def test_bad_sessions_exit_2_and_change_nothing(index_repo: MakeRepo) -> None:
    repo = index_repo(SAMPLE_PY)
    stored = repo / ".mom" / "sessions" / "s.json"
    stored.parent.mkdir(parents=True)
    stored.write_text('{"not": "a list"}')
    for extra, message in (
        (["--session", "s"], "not a context session"),
        (["--session", "../escape"], "--session"),
        (["--session", "t", "--summarized"], "drop --summarized"),
    ):
        result = runner.invoke(app, ["context", "x", "--repo", str(repo), "--json", *extra])
        assert result.exit_code == 2, extra
        assert message in json.loads(result.stdout)["error"]
    assert stored.read_text() == '{"not": "a list"}'
    (repo / "routing.toml").write_text("[context]\nenable_differential_context = false\n")
    off = runner.invoke(app, ["context", "x", "--repo", str(repo), "--session", "u"])
    assert off.exit_code == 2 and "enable_differential_context" in off.stderr


def test_an_empty_query_is_a_usage_error(index_repo: MakeRepo) -> None:
    """On sqlparse, `mom context ""` (an unset shell variable) printed 20,000 tokens of
    whatever ranked first and exited 0."""
    repo = index_repo(SAMPLE_PY)
    for query in ("", "   "):
        result = runner.invoke(app, ["context", query, "--repo", str(repo), "--json"])
        assert result.exit_code == 2, result.output
        assert "empty" in json.loads(result.stdout)["error"]
