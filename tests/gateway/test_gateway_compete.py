"""`mom-compete`: two tiers answer in parallel, the third merges them as the critic."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager

import openai
from fakes import FakeServer, Reply

from mom_cli.engine.compete import CRITIC_SYSTEM
from mom_cli.ledger.store import Ledger

Gateway = Callable[..., AbstractContextManager[str]]


def test_fan_out_then_critic_merges(gateway: Gateway, fakes: list[FakeServer]) -> None:
    fakes[0].script(Reply(content="use a dict for lookups"))
    fakes[1].script(Reply(content="use a set for membership tests"))
    fakes[2].script(Reply(content="merged: a set for membership, a dict for lookups"))
    with gateway() as base:
        c = openai.OpenAI(base_url=base, api_key="x", max_retries=0)
        raw = c.chat.completions.with_raw_response.create(
            model="mom-compete", messages=[{"role": "user", "content": "which container?"}]
        )
    answer = raw.parse()
    assert answer.choices[0].message.content == "merged: a set for membership, a dict for lookups"
    assert raw.headers["x-mom-models"] == "m-cheap,m-mid,m-top"
    # the critic saw both answers under its own system prompt
    [critic_call] = fakes[2].chat_requests
    sent = json.dumps(critic_call.body["messages"])
    assert "use a dict for lookups" in sent and "use a set for membership tests" in sent
    assert critic_call.body["messages"][0]["content"] == CRITIC_SYSTEM
    meta = json.loads(raw.text)["mom"]
    assert meta["method"] == "critic" and meta["critic"] == "m-top"
    records = meta["contributions"]
    assert [(r["role"], r["model"]) for r in records] == [
        ("answer", "m-cheap"),
        ("answer", "m-mid"),
        ("critic", "m-top"),
    ]
    assert abs(sum(r["weight"] for r in records) - 1) < 0.01
    assert all(r["weight"] > 0 and r["output_tokens"] > 0 for r in records)
    rows = Ledger().rows()
    assert sorted(r.model for r in rows) == ["m-cheap", "m-mid", "m-top"]
    assert abs(sum(r.cost_usd for r in rows) - float(raw.headers["x-mom-cost-usd"])) < 1e-6
    assert answer.usage is not None
    assert answer.usage.completion_tokens == sum(r.output_tokens for r in rows)


def test_one_contender_failing_still_merges_or_picks(
    gateway: Gateway, fakes: list[FakeServer]
) -> None:
    fakes[0].script(Reply.status_code(500), Reply.status_code(500))
    fakes[1].script(Reply(content="the only answer"))
    with gateway() as base:
        c = openai.OpenAI(base_url=base, api_key="x", max_retries=0)
        raw = c.chat.completions.with_raw_response.create(
            model="mom-compete", messages=[{"role": "user", "content": "q"}]
        )
    meta = json.loads(raw.text)["mom"]
    assert raw.parse().choices[0].message.content == "the only answer"
    assert meta["method"] == "single"
    failed = [r for r in meta["contributions"] if r["error"]]
    assert failed and failed[0]["model"] == "m-cheap" and failed[0]["weight"] == 0


def test_compete_streams_the_merged_answer(gateway: Gateway, fakes: list[FakeServer]) -> None:
    fakes[2].script(Reply(content="merged"))
    with gateway() as base:
        c = openai.OpenAI(base_url=base, api_key="x", max_retries=0)
        chunks = list(
            c.chat.completions.create(
                model="mom-compete",
                messages=[{"role": "user", "content": "q"}],
                stream=True,
                stream_options={"include_usage": True},
            )
        )
    assert "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices) == "merged"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
