"""Request parsing is untrusted input: any body is a ChatRequest or a 400, nothing else."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_cli.gateway.auth import TokenTable, digest, is_loopback
from mom_cli.gateway.shapes import ApiError, ChatRequest, parse_chat

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "model": st.one_of(st.just("mom"), json_values),
        "messages": st.one_of(
            st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "system", "tool", 3]),
                                            "content": json_values}), max_size=3),
            json_values,
        ),
        "max_tokens": json_values, "temperature": json_values, "stop": json_values,
        "stream": json_values, "stream_options": json_values, "n": json_values,
        "tools": json_values, "response_format": json_values,
    },
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(fields)
def test_any_json_body_parses_or_is_a_400(doc: dict[str, object]) -> None:
    try:
        parsed = parse_chat(json.dumps(doc).encode(), 256)
    except ApiError as exc:
        assert exc.status == 400 and exc.type == "invalid_request_error"
        assert json.loads(exc.body())["error"]["message"]
    else:
        assert isinstance(parsed, ChatRequest) and parsed.request.messages
        assert parsed.request.max_tokens >= 1


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=64))
def test_any_bytes_parse_or_are_a_400(raw: bytes) -> None:
    try:
        parse_chat(raw, 256)
    except ApiError as exc:
        assert exc.status == 400


def test_text_parts_and_developer_role() -> None:
    body = {"model": "mom", "max_completion_tokens": 7, "stop": "END", "messages": [
        {"role": "developer", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
    ]}  # fmt: skip
    chat = parse_chat(json.dumps(body).encode(), 256)
    assert [(m.role, m.content) for m in chat.request.messages] == [("system", "be brief"),
                                                                     ("user", "ab")]  # fmt: skip
    assert chat.request.max_tokens == 7 and chat.client_max_tokens
    assert chat.request.stop == ("END",)


@pytest.mark.parametrize(
    ("header", "ok"),
    [("Bearer right", True), ("bearer right", True), ("Bearer wrong", False), ("right", False),
     (None, False), ("Basic right", False)],
)  # fmt: skip
def test_bearer_tokens(header: str | None, ok: bool) -> None:
    from mom_cli.gateway.auth import Client

    table = TokenTable({digest("right"): Client("alice", 1.0)})
    assert (table.client_for(header) is not None) is ok


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
