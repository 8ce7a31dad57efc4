"""`mom serve` refusals (exit 2, a reason, nothing started) and `mom cost --by client`."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import httpx
import pytest
from fakes import FakeServer
from gateway_support import write_config
from typer.testing import CliRunner

from mom_cli.cli.app import app
from mom_cli.ledger.store import Ledger, LedgerEntry

runner = CliRunner()


def test_without_the_serve_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a)
    )
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "pip install 'mom-cli[serve]'" in result.output


def test_non_loopback_bind_without_token_refuses(
    fakes: list[FakeServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOM_SERVE_TOKEN", raising=False)
    cfg = write_config(tmp_path / "r.toml", [f.url for f in fakes])
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--config", str(cfg)])
    assert result.exit_code == 2
    assert "needs a token" in result.output and "--token" in result.output


def test_token_env_pointing_nowhere_is_a_config_error(
    fakes: list[FakeServer], tmp_path: Path
) -> None:
    extra = {"gateway": {"tokens": {"bob": {"token_env": "MOM_TEST_NO_SUCH_VAR"}}}}
    cfg = write_config(tmp_path / "r.toml", [f.url for f in fakes], extra)
    result = runner.invoke(app, ["serve", "--config", str(cfg)])
    assert result.exit_code == 2
    assert "gateway.tokens.bob.token_env" in result.output


def test_bad_ledger_url_is_usage_error(fakes: list[FakeServer], tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "r.toml", [f.url for f in fakes])
    result = runner.invoke(app, ["serve", "--config", str(cfg), "--ledger", "mysql://x@h/db"])
    assert result.exit_code == 2 and "postgresql://" in result.output


def test_cost_groups_by_client() -> None:
    ledger = Ledger()
    for client, cost in (("alice", 0.5), ("bob", 0.25), ("alice", 0.25), ("", 0.1)):
        ledger.record(
            LedgerEntry(
                provider="p",
                model="m",
                model_id="m",
                tier="t",
                endpoint="",
                input_tokens=1,
                output_tokens=2,
                cost_usd=cost,
                latency_ms=1,
                outcome="ok",
                client=client,
            )
        )
    result = runner.invoke(app, ["cost", "--by", "client", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [(c["client"], c["calls"], c["cost_usd"]) for c in doc["clients"]] == [
        ("alice", 2, 0.75),
        ("bob", 1, 0.25),
        ("", 1, 0.1),
    ]
    table = runner.invoke(app, ["cost", "--by", "client"])
    assert "alice" in table.output and "(cli)" in table.output
    assert runner.invoke(app, ["cost", "--by", "team"]).exit_code == 2


@pytest.mark.slow
def test_workers_share_the_sqlite_ledger(fakes: list[FakeServer], tmp_path: Path) -> None:
    import openai
    from gateway_support import FAKE_KEY, serve_process

    cfg = write_config(tmp_path / "r.toml", [f.url for f in fakes])
    home = tmp_path / "home"
    env = {"FAKE_UPSTREAM_KEY": FAKE_KEY, "MOM_HOME": str(home)}
    with serve_process(cfg, tmp_path, "--workers", "2", env=env) as (_, base):
        c = openai.OpenAI(base_url=base, api_key="x", max_retries=0, timeout=20)
        for _ in range(6):
            assert (
                c.chat.completions.create(
                    model="m-cheap", messages=[{"role": "user", "content": "hi"}]
                )
                .choices[0]
                .message.content
            )
        time.sleep(1.5)  # each worker publishes its counts every second
        line = 'mom_gateway_requests_total{model="m-cheap",status="200"}'
        for _ in range(4):  # whichever worker answers the scrape reports both workers' sum
            text = httpx.get(base.removesuffix("/v1") + "/metrics", timeout=10).text
            assert f"{line} 6" in text, text[:2000]
    rows = Ledger(home / "ledger.sqlite3").rows()
    assert len(rows) == 6 and {r.client for r in rows} == {"local"}


def test_serving_starts_with_the_startup_heap_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """A full GC walking every SDK object stalled all requests ~200 ms; uvicorn must start
    with them in the permanent generation."""
    import gc

    import uvicorn

    from mom_cli.gateway.server import ServeSpec, run

    frozen_at_start: list[int] = []
    monkeypatch.setattr(
        uvicorn, "run", lambda *_a, **_k: frozen_at_start.append(gc.get_freeze_count())
    )
    try:
        run(ServeSpec(host="127.0.0.1", port=0, repo=None, config=None, ledger=None), app=object())
    finally:
        gc.unfreeze()
    assert frozen_at_start and frozen_at_start[0] > 10_000
