"""Two `mom serve` processes on one PostgreSQL ledger: one budget, no lost rows, and one
instance killed with SIGKILL mid-stream leaves the other serving."""

from __future__ import annotations

import signal
import threading
from collections import Counter
from pathlib import Path

import httpx
import openai
import pytest
from fakes import FakeServer, Reply
from gateway_support import FAKE_KEY, serve_process, write_config

from mom_cli.gateway.auth import digest
from mom_cli.ledger.backend import open_ledger

TOKEN = "team-token-0123456789"
BUDGET = 0.5
PRICED = {  # $/M tokens high enough that a few calls meet the budget
    "models": {"m-cheap": {"price_input": 1000.0, "price_output": 2000.0}},
    "gateway": {"tokens": {"team": {"sha256": digest(TOKEN), "daily_budget_usd": BUDGET}}},
}
ENV = {"FAKE_UPSTREAM_KEY": FAKE_KEY}
pytestmark = pytest.mark.slow


def _config(tmp_path: Path, fakes: list[FakeServer]) -> Path:
    return write_config(tmp_path / "routing.toml", [f.url for f in fakes], PRICED)


def test_two_instances_share_one_budget_and_lose_no_row(
    pg_url: str, fakes: list[FakeServer], tmp_path: Path
) -> None:
    fakes[0].script(*[Reply(delay=0.05, content="four words of answer")] * 400)
    cfg = _config(tmp_path, fakes)
    results: Counter[str] = Counter()
    lock = threading.Lock()
    with (
        serve_process(cfg, tmp_path, "--ledger", pg_url, env=ENV) as (_, base_a),
        serve_process(cfg, tmp_path, "--ledger", pg_url, env=ENV) as (_, base_b),
    ):

        def hammer(base: str) -> None:
            c = openai.OpenAI(base_url=base, api_key=TOKEN, max_retries=0, timeout=30)
            for _ in range(8):
                try:
                    c.chat.completions.create(
                        model="m-cheap", max_tokens=16,
                        messages=[{"role": "user", "content": "say four words"}],
                    )  # fmt: skip
                    outcome = "ok"
                except openai.RateLimitError as exc:
                    outcome = str(exc.code)
                with lock:
                    results[outcome] += 1

        threads = [threading.Thread(target=hammer, args=(b,)) for b in [base_a, base_b] * 3]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    ledger, book = open_ledger(pg_url)
    rows = [r for r in ledger.rows() if r.client == "team"]
    spent = sum(r.cost_usd for r in rows)
    assert results["ok"] > 0 and results["insufficient_quota"] > 0, results
    assert sum(results.values()) == 48
    assert len(rows) == results["ok"]  # every completed call has its row, none extra
    assert all(r.outcome == "ok" for r in rows)
    # estimates bound the real cost, so the reservations keep the total inside the budget
    assert spent <= BUDGET + 1e-9, (spent, results)
    assert book.reserved_usd() == 0  # every reservation was settled
    ledger.close()


def test_kill_9_one_instance_mid_stream_the_other_keeps_serving(
    pg_url: str, fakes: list[FakeServer], tmp_path: Path
) -> None:
    cfg = _config(tmp_path, fakes)
    with (
        serve_process(cfg, tmp_path, "--ledger", pg_url, env=ENV) as (proc_a, base_a),
        serve_process(cfg, tmp_path, "--ledger", pg_url, env=ENV) as (_, base_b),
    ):
        a = openai.OpenAI(base_url=base_a, api_key=TOKEN, max_retries=0, timeout=10)
        b = openai.OpenAI(base_url=base_b, api_key=TOKEN, max_retries=0, timeout=10)
        completed = 0
        for c in (a, b):
            c.chat.completions.create(model="m-mid", messages=[{"role": "user", "content": "x"}])
            completed += 1
        fakes[1].script(Reply(content="one two three four five six seven eight", chunk_delay=0.3))
        stream = a.chat.completions.create(
            model="m-mid", messages=[{"role": "user", "content": "slow"}], stream=True
        )
        seen = []
        with pytest.raises((openai.APIError, httpx.HTTPError, OSError)):
            for chunk in stream:
                seen.append(chunk)
                if len(seen) == 3:
                    proc_a.send_signal(signal.SIGKILL)
        assert len(seen) >= 3
        proc_a.wait(10)
        for i in range(5):
            if i % 2:
                chunks = b.chat.completions.create(
                    model="m-mid", messages=[{"role": "user", "content": "y"}], stream=True
                )
                text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
            else:
                text = (
                    b.chat.completions.create(
                        model="m-mid", messages=[{"role": "user", "content": "y"}]
                    )
                    .choices[0]
                    .message.content
                    or ""
                )
            assert text == "Hello from the fake server."
            completed += 1
    ledger, _ = open_ledger(pg_url)
    rows = ledger.rows()
    assert len([r for r in rows if r.outcome == "ok"]) == completed == 7
    assert all(r.client == "team" for r in rows)
    ledger.close()
