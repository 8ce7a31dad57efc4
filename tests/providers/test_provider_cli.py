"""`mom ask`, `mom doctor`, `mom models` through typer's CliRunner, plus one real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w
from fakes import FakeServer, Reply
from provider_helpers import FAKE_KEY, closed_port_url
from typer.testing import CliRunner, Result

from mom_cli.cli.app import app
from mom_cli.ledger.store import Ledger

runner = CliRunner()


def write_config(tmp_path: Path, providers: dict[str, dict[str, object]]) -> Path:
    """A user config that points providers at loopback fakes (Ollama at a dead port)."""
    providers = {"ollama": {"base_url": closed_port_url()}, **providers}
    path = tmp_path / "routing.toml"
    path.write_text(tomli_w.dumps({"providers": providers}), encoding="utf-8")
    return path


def mom(*args: str, config: Path | None = None) -> Result:
    base = ["--repo", str(config.parent)] if config else []
    extra = ["--config", str(config)] if config else []
    return runner.invoke(app, [args[0], *base, *extra, *args[1:]])


def test_ask_groq_uses_the_configured_base_url_and_retries_429(
    tmp_path: Path, openai_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", FAKE_KEY)
    openai_server.script(Reply.status_code(429, "slow", retry_after="0.1"), Reply(content="4"))
    cfg = write_config(tmp_path, {"groq": {"base_url": openai_server.url, "timeout": 1}})
    result = mom("ask", "--tier", "groq", "--json", "2+2?", config=cfg)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {k: doc[k] for k in ("content", "model", "provider", "tier")} == {
        "content": "4",
        "model": "groq-llama",
        "provider": "groq",
        "tier": "groq",
    }
    assert doc["input_tokens"] > 0 and doc["cost_usd"] > 0 and doc["escalations"] == []
    assert [r.path for r in openai_server.chat_requests] == ["/openai/v1/chat/completions"] * 2
    outcomes = [r.outcome for r in Ledger().rows()]
    assert outcomes == ["RateLimitedError", "ok"]
    assert FAKE_KEY not in result.output


@pytest.mark.parametrize(("finish", "cut"), [("length", True), ("stop", False)])
def test_ask_says_when_the_reply_was_cut_off_at_its_limit(
    tmp_path: Path,
    openai_server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
    finish: str,
    cut: bool,
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", FAKE_KEY)
    openai_server.script(Reply(content="It signs the value and", finish=finish))
    cfg = write_config(tmp_path, {"groq": {"base_url": openai_server.url, "timeout": 1}})
    result = mom("ask", "--tier", "groq", "what does sign do?", config=cfg)
    assert result.exit_code == 0, result.output
    assert "It signs the value and" in result.output
    assert ("-token limit" in result.output) is cut, result.output


def test_ask_escalates_when_a_provider_keeps_failing_and_says_so(
    tmp_path: Path,
    openai_server: FakeServer,
    openai_server2: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", FAKE_KEY)
    monkeypatch.setenv("DEEPSEEK_API_KEY", FAKE_KEY)
    openai_server.script(*[Reply.status_code(500, f"upstream down key={FAKE_KEY}")] * 6)
    cfg = write_config(
        tmp_path,
        {
            "groq": {"base_url": openai_server.url, "timeout": 1},
            "deepseek": {"base_url": openai_server2.url + "/v1", "timeout": 1},
        },
    )
    result = mom("ask", "--tier", "groq", "hello", config=cfg)
    out = result.output
    assert result.exit_code == 0, out
    assert "escalated groq → deepseek" in out and "UnavailableError" in out
    assert "Hello from the fake server." in result.stdout
    assert "deepseek/deepseek-chat (escalated)" in out
    assert FAKE_KEY not in out

    as_json = mom("ask", "--tier", "groq", "--json", "hello", config=cfg)
    doc = json.loads(as_json.stdout)
    assert doc["tier"] == "deepseek"
    assert doc["escalations"][0]["from_tier"] == "groq"
    assert FAKE_KEY not in as_json.output


def test_ask_with_no_usable_tier_fails_cleanly(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, {})
    cfg.write_text(
        cfg.read_text() + '\n[local_models]\nembedded_model_path = "/nonexistent/model.gguf"\n'
    )
    result = mom("ask", "--json", "hi", config=cfg)
    assert result.exit_code == 2
    assert "mom doctor" in json.loads(result.stdout)["error"]


def test_doctor_explains_every_tier(tmp_path: Path) -> None:
    dead = closed_port_url()
    cfg = write_config(tmp_path, {"ollama": {"base_url": dead}})
    result = mom("doctor", "--json", config=cfg)
    doc = json.loads(result.stdout)
    tiers = {t["tier"]: t for t in doc["tiers"]}
    assert tiers["rules"]["usable"] is True
    assert tiers["groq"]["reason"] == "groq-llama: GROQ_API_KEY not set"
    providers = {p["provider"]: p for p in doc["providers"]}
    assert providers["ollama"]["reason"] == f"no Ollama at {dead}"
    assert providers["anthropic"]["reason"] == "ANTHROPIC_API_KEY not set"
    assert set(doc["tools"]["present"]) | set(doc["tools"]["missing"]) >= {"git", "cargo", "mvn"}
    embedded_ok = providers["embedded"]["usable"]
    assert result.exit_code == (0 if embedded_ok else 1)
    if not embedded_ok:
        assert "run ./scripts/setup" in providers["embedded"]["reason"]


def test_doctor_exits_1_when_no_tier_works(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, {})
    cfg.write_text(cfg.read_text() + '\n[local_models]\nembedded_model_path = "/nope.gguf"\n')
    result = mom("doctor", config=cfg)
    assert result.exit_code == 1
    assert "model file not found: /nope.gguf" in result.output
    assert "no model tier is usable" in result.output


def test_models_lists_prices_and_availability(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", FAKE_KEY)
    cfg = write_config(tmp_path, {})
    doc = json.loads(mom("models", "--json", config=cfg).stdout)
    rows = {r["model"]: r for r in doc["models"]}
    assert rows["sonnet"]["price_output"] == 15.0 and rows["sonnet"]["context_window"] == 200000
    assert rows["groq-llama"]["available"] is True
    assert rows["haiku"]["reason"] == "ANTHROPIC_API_KEY not set"
    assert [r["tier"] for r in doc["models"]][0] == "local"
    table = mom("models", config=cfg).output
    assert "sonnet" in table and "ladder: rules" in table and FAKE_KEY not in table


def test_installed_mom_doctor_json(tmp_path: Path) -> None:
    """The console script itself, as a user runs it."""
    exe = Path(sys.executable).parent / "mom"
    if not exe.exists():
        pytest.skip(f"{exe} not installed (run ./scripts/setup)")
    cfg = write_config(tmp_path, {})
    env = {**os.environ, "MOM_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [str(exe), "doctor", "--json", "--config", str(cfg), "--repo", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    doc = json.loads(done.stdout)
    assert done.returncode == (0 if doc["ok"] else 1), done.stderr
    assert [t["tier"] for t in doc["tiers"]][:2] == ["rules", "local"]


def test_ask_default_tier_is_the_first_usable_one(
    tmp_path: Path, openai_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", FAKE_KEY)
    cfg = write_config(tmp_path, {"groq": {"base_url": openai_server.url, "timeout": 1}})
    cfg.write_text(cfg.read_text() + '\n[local_models]\nembedded_model_path = "/nope.gguf"\n')
    result = mom("ask", "--json", "hello", config=cfg)
    doc = json.loads(result.stdout)
    assert doc["tier"] == "groq" and doc["escalations"] == []  # local skipped, not "escalated"
    assert "escalated" not in result.output


def test_doctor_finds_the_projects_own_node_tools(tmp_path: Path) -> None:
    """eslint and tsc installed by `npm install` live in node_modules/.bin, where the
    validator runs them from; doctor listed them as missing."""
    from mom_cli.config import MomConfig
    from mom_cli.service.doctor import doctor_report

    tool = tmp_path / "node_modules" / ".bin" / "eslint"
    tool.parent.mkdir(parents=True)
    tool.write_text("#!/bin/sh\nexit 0\n")
    tool.chmod(0o755)
    report = doctor_report(tmp_path, MomConfig())
    assert "eslint" in report["tools"]["present"]
    assert "eslint" not in report["tools"]["missing"]


def test_doctor_names_the_projects_interpreter(tmp_path: Path) -> None:
    """itsdangerous: its tests needed `freezegun`, and nothing in `mom doctor` said which
    interpreter mom runs the project's build and tests with (the one to install into)."""
    cfg = write_config(tmp_path, {})
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    doc = json.loads(mom("doctor", "--json", config=cfg).stdout)
    assert doc["tools"]["project_python"] == f"{python} (project venv)"
    text = mom("doctor", config=cfg).output
    assert f"project python: {python} (project venv)" in text.replace("\n", "")
