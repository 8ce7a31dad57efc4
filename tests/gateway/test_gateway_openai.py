"""The real `openai` SDK against `mom serve` on uvicorn, with loopback fakes upstream."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import httpx
import openai
import pytest
from fakes import FakeServer, Reply
from gateway_support import FAKE_KEY

from mom_cli.ledger.store import Ledger

Gateway = Callable[..., AbstractContextManager[str]]


def client(base: str, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=base, api_key=key, max_retries=0, timeout=10)


def ask(c: openai.OpenAI, model: str = "mom", text: str = "hello there", **kw: Any) -> Any:
    return c.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": text}], **kw
    )


def test_routed_json_answer_with_usage_and_headers(
    gateway: Gateway, fakes: list[FakeServer]
) -> None:
    fakes[0].script(Reply(content="cheap answer here"))
    with gateway() as base:
        raw = ask(client(base))
        answer = raw.parse()
    assert answer.choices[0].message.content == "cheap answer here"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.model == "mom"
    assert answer.usage is not None and answer.usage.completion_tokens == 3
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + 3
    assert raw.headers["x-mom-tier"] == "cheap"
    assert raw.headers["x-mom-models"] == "m-cheap"
    assert float(raw.headers["x-mom-cost-usd"]) > 0
    [sent] = fakes[0].chat_requests
    assert sent.body["model"] == "fake-cheap"
    assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"
    rows = Ledger().rows()
    assert [(r.model, r.client, r.outcome) for r in rows] == [("m-cheap", "local", "ok")]


def test_streaming_chunks_and_usage_chunk(gateway: Gateway, fakes: list[FakeServer]) -> None:
    fakes[0].script(Reply(content="one two three four"))
    with gateway() as base:
        stream = client(base).chat.completions.create(
            model="mom",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three four"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])
    assert {c.id for c in chunks} == {chunks[0].id}
    # the gateway asked the upstream for its usage: the counts are the upstream's own
    assert fakes[0].chat_requests[-1].body["stream_options"] == {"include_usage": True}
    assert chunks[-1].usage.completion_tokens == 4  # the fake counts words
    [row] = Ledger().rows()
    assert (row.output_tokens, row.detail, row.outcome) == (4, "", "ok")


@pytest.mark.parametrize("streamed", [False, True], ids=["json", "stream"])
def test_the_sdk_upstream_client_still_works(
    gateway: Gateway, fakes: list[FakeServer], streamed: bool
) -> None:
    """gateway.upstream_client = "sdk": the openai SDK calls the upstream, as before."""
    fakes[0].script(Reply(content="one two three"))
    with gateway(extra={"gateway": {"upstream_client": "sdk"}}) as base:
        made = client(base).chat.completions.create(
            model="m-cheap", messages=[{"role": "user", "content": "hi"}], stream=streamed,
            **({"stream_options": {"include_usage": True}} if streamed else {}),
        )  # fmt: skip
        if streamed:
            chunks = list(made)  # type: ignore[arg-type]
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        else:
            text = made.choices[0].message.content  # type: ignore[union-attr]
    assert text == "one two three"
    assert "x-stainless-lang" in fakes[0].chat_requests[-1].headers  # the SDK sent it
    [row] = Ledger().rows()
    assert row.outcome == "ok" and row.output_tokens == 3  # the upstream's own count
    assert row.detail == ""  # streamed too: the SDK asks for the stream's usage


def test_streaming_without_usage_has_no_usage_chunk(gateway: Gateway) -> None:
    with gateway() as base:
        chunks = list(
            client(base).chat.completions.create(
                model="m-mid", messages=[{"role": "user", "content": "hi"}], stream=True
            )
        )
    assert all(c.usage is None for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_model_listing(gateway: Gateway) -> None:
    with gateway() as base:
        ids = [m.id for m in client(base).models.list()]
    assert ids[:2] == ["mom", "mom-compete"]
    assert {"m-cheap", "m-mid", "m-top"} <= set(ids)


def test_passthrough_model_goes_straight_to_it(gateway: Gateway, fakes: list[FakeServer]) -> None:
    with gateway() as base:
        raw = ask(client(base), model="m-top")
    assert raw.headers["x-mom-tier"] == "top"
    assert len(fakes[2].chat_requests) == 1 and not fakes[0].chat_requests


def test_escalates_past_500s_then_429(gateway: Gateway, fakes: list[FakeServer]) -> None:
    fakes[0].script(Reply.status_code(500), Reply.status_code(500))
    fakes[1].script(Reply.status_code(429, "slow down", retry_after="100"))
    fakes[2].script(Reply(content="top tier answer"))
    with gateway() as base:
        raw = ask(client(base))
    assert raw.parse().choices[0].message.content == "top tier answer"
    assert raw.headers["x-mom-tier"] == "top"
    assert raw.headers["x-mom-models"] == "m-cheap,m-mid,m-top"
    meta = json.loads(raw.text)["mom"]
    assert [e["from"] for e in meta["escalations"]] == ["cheap/m-cheap", "mid/m-mid"]
    outcomes = [r.outcome for r in Ledger().rows()]
    assert outcomes == ["UnavailableError", "UnavailableError", "RateLimitedError", "ok"]


def test_escalates_on_empty_and_truncated_answers(
    gateway: Gateway, fakes: list[FakeServer]
) -> None:
    fakes[0].script(Reply(content=""))
    fakes[1].script(Reply(kind="truncated"), Reply(kind="truncated"))
    with gateway() as base:
        raw = ask(client(base))
    assert raw.headers["x-mom-tier"] == "top"
    reasons = [e["reason"] for e in json.loads(raw.text)["mom"]["escalations"]]
    assert reasons[0] == "empty answer" and "MalformedResponseError" in reasons[1]


def test_streaming_escalates_before_first_token(gateway: Gateway, fakes: list[FakeServer]) -> None:
    fakes[0].script(Reply.status_code(500), Reply.status_code(500))
    with (
        gateway() as base,
        client(base).chat.completions.with_streaming_response.create(
            model="mom", messages=[{"role": "user", "content": "hi"}], stream=True
        ) as response,
    ):
        assert response.headers["x-mom-tier"] == "mid"
        text = "".join(c.choices[0].delta.content or "" for c in response.parse() if c.choices)
    assert text == "Hello from the fake server."


def test_truncated_stream_mid_answer_raises_in_the_sdk(
    gateway: Gateway, fakes: list[FakeServer]
) -> None:
    fakes[0].script(Reply(kind="truncated_stream", content="a b c d e f g h"))
    with gateway() as base:
        stream = client(base).chat.completions.create(
            model="m-cheap", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        with pytest.raises(openai.APIError, match="truncated"):
            list(stream)
    assert Ledger().rows()[-1].outcome == "MalformedResponseError"


def test_hanging_upstream_times_out_and_escalates(
    gateway: Gateway, fakes: list[FakeServer]
) -> None:
    fakes[0].script(Reply(kind="hang", hang_seconds=10), Reply(kind="hang", hang_seconds=10))
    extra = {"providers": {"up0": {"timeout": 0.3}}}
    with gateway(extra=extra) as base:
        raw = ask(client(base))
    assert raw.headers["x-mom-tier"] == "mid"
    assert [r.outcome for r in Ledger().rows()][:2] == ["ProviderTimeoutError"] * 2


def test_trickling_stream_ends_at_the_idle_limit_and_escalates(
    gateway: Gateway, fakes: list[FakeServer]
) -> None:
    """One stream piece every 2 s never trips the SDK's per-read timeout; the gateway's idle
    limit (providers.X.stream_idle) ends it before the first piece, and the next tier answers."""
    fakes[0].script(*[Reply(kind="trickle", content="slow answer", trickle_seconds=2.0)] * 3)
    extra = {"providers": {"up0": {"stream_idle": 0.5, "deadline": 30}}}
    with gateway(extra=extra) as base:
        stream = client(base).chat.completions.create(
            model="mom", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text
    outcomes = [r.outcome for r in Ledger().rows()]
    assert "ProviderTimeoutError" in outcomes
    assert outcomes[-1] == "ok"


def test_token_required_401_and_accepted(gateway: Gateway) -> None:
    with gateway(token="s3cret-token") as base:
        with pytest.raises(openai.AuthenticationError):
            ask(client(base, "wrong"))
        with pytest.raises(openai.AuthenticationError):
            client(base, "wrong").models.list()
        assert ask(client(base, "s3cret-token")).parse().choices[0].message.content
    assert Ledger().rows()[-1].client == "cli"


def test_413_on_large_body(gateway: Gateway) -> None:
    with (
        gateway(extra={"gateway": {"max_body_bytes": 2048}}) as base,
        pytest.raises(openai.APIStatusError) as info,
    ):
        ask(client(base), text="x" * 5000)
    assert info.value.status_code == 413
    assert info.value.code == "request_too_large"


def test_429_with_retry_after_when_too_many_in_flight(
    gateway: Gateway, fakes: list[FakeServer]
) -> None:
    import threading

    fakes[0].script(Reply(delay=1.0))
    with gateway(extra={"gateway": {"max_concurrent": 1}}) as base:
        slow = threading.Thread(target=ask, args=(client(base),))
        slow.start()
        import time

        deadline = time.monotonic() + 5
        while not fakes[0].chat_requests and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(openai.RateLimitError) as info:
            ask(client(base))
        slow.join()
    assert info.value.response.headers["retry-after"] == "1"


def test_bad_requests_are_openai_errors(gateway: Gateway) -> None:
    with gateway() as base:
        with pytest.raises(openai.NotFoundError):
            ask(client(base), model="no-such-model")
        with pytest.raises(openai.BadRequestError, match="messages"):
            client(base).chat.completions.create(model="mom", messages=[])
        r = httpx.post(base + "/chat/completions", content=b"{not json")
        assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
        r = httpx.get(base.removesuffix("/v1") + "/nope")
        assert r.status_code == 404 and "error" in r.json()


def test_budget_stop_is_insufficient_quota(gateway: Gateway) -> None:
    with (
        gateway(extra={"cost": {"stop_threshold_usd": 0.0000001}}) as base,
        pytest.raises(openai.RateLimitError) as info,
    ):
        ask(client(base))
    assert info.value.code == "insufficient_quota"
    assert Ledger().rows() == []


def test_health_and_metrics(gateway: Gateway) -> None:
    with gateway(token="tok") as base:
        ask(client(base, "tok"))
        root = base.removesuffix("/v1")
        assert httpx.get(root + "/health").json()["status"] == "ok"
        assert httpx.get(root + "/metrics").status_code == 401
        text = httpx.get(root + "/metrics", headers={"authorization": "Bearer tok"}).text
    assert 'mom_gateway_requests_total{model="mom",status="200"} 1' in text
    assert 'mom_gateway_upstream_calls_total{model="m-cheap",outcome="ok",tier="cheap"} 1' in text
    assert "mom_gateway_cost_usd_total" in text and "mom_gateway_upstream_seconds_bucket" in text
    assert "tok" not in text.replace("tokens", "")


def test_tokens_and_keys_stay_out_of_ledger_metrics_and_logs(
    gateway: Gateway, fakes: list[FakeServer], caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    token = "client-token-XYZ-987"
    for fake in fakes:  # upstream echoes its key in the error, as some providers do
        fake.script(*[Reply.status_code(401, f"invalid key {FAKE_KEY}")] * 3)
    with gateway(token=token) as base:
        with pytest.raises(openai.APIStatusError):
            ask(client(base, token))
        root = base.removesuffix("/v1")
        metrics = httpx.get(root + "/metrics", headers={"authorization": f"Bearer {token}"}).text
    rows = Ledger().rows()
    assert rows and all(r.client == "cli" for r in rows)
    dump = json.dumps([r.__dict__ for r in rows]) + metrics + caplog.text
    assert token not in dump and FAKE_KEY not in dump


def test_failed_critic_check_escalates_when_asked(
    gateway: Gateway, fakes: list[FakeServer]
) -> None:
    fakes[0].script(Reply(content="2 + 2 = 5"))
    fakes[1].script(Reply(content="2 + 2 = 4"))
    fakes[2].script(Reply(content="FAIL: arithmetic is wrong"), Reply(content="PASS: correct"))
    with gateway() as base:
        raw = ask(client(base), text="what is 2 + 2?", extra_body={"mom": {"critic": True}})
    assert raw.parse().choices[0].message.content == "2 + 2 = 4"
    assert raw.headers["x-mom-tier"] == "mid"
    assert raw.headers["x-mom-models"] == "m-cheap,m-mid,m-top"
    meta = json.loads(raw.text)["mom"]
    assert meta["critic"] == "m-top"
    assert meta["escalations"][0]["reason"].startswith("critic m-top: FAIL")
    reviewed = [json.dumps(r.body["messages"]) for r in fakes[2].chat_requests]
    assert "2 + 2 = 5" in reviewed[0] and "2 + 2 = 4" in reviewed[1]
    # without the flag nobody reviews the cheap answer
    fakes[0].script(Reply(content="2 + 2 = 5"))
    with gateway() as base:
        assert ask(client(base), text="what is 2 + 2?").headers["x-mom-tier"] == "cheap"


def test_each_token_has_its_own_daily_budget(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mom_cli.gateway.auth import digest

    monkeypatch.setenv("MOM_TOKEN_BOB", "bob-token")
    extra = {
        "models": {"m-cheap": {"price_input": 1000.0, "price_output": 1000.0}},
        "gateway": {"tokens": {
            "alice": {"sha256": digest("alice-token"), "daily_budget_usd": 0.025},
            "bob": {"token_env": "MOM_TOKEN_BOB", "daily_budget_usd": 10.0},
        }},
    }  # fmt: skip
    with gateway(extra=extra) as base:
        alice, bob = client(base, "alice-token"), client(base, "bob-token")
        kw = {"model": "m-cheap", "max_tokens": 10}
        ask(alice, **kw)  # estimate $0.016, cost $0.007: the third would pass $0.025
        ask(alice, **kw)
        with pytest.raises(openai.RateLimitError) as info:
            ask(alice, **kw)
        assert info.value.code == "insufficient_quota" and "client 'alice'" in info.value.message
        for _ in range(3):
            ask(bob, **kw)
    rows = Ledger().rows()
    assert [r.client for r in rows] == ["alice", "alice", "bob", "bob", "bob"]
