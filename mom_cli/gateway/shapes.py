"""OpenAI chat-completions wire shapes: parse a request, render answers, chunks and errors.

Requests are untrusted input: every field is checked and a bad one is a 400 naming it,
in OpenAI's error JSON, so the `openai` SDK raises BadRequestError.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass
from typing import Any

from mom_cli.providers.base import CompletionRequest, Message

ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


class ApiError(Exception):
    """An error response: HTTP status, OpenAI error type and code."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self) -> bytes:
        return dumps(
            {
                "error": {
                    "message": self.message,
                    "type": self.type,
                    "param": self.param,
                    "code": self.code,
                }
            }
        )


def _std_dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


try:  # orjson (in the serve extra) encodes a chunk ~5x faster: the stream's per-piece cost
    from orjson import dumps as _fast_dumps
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - the serve extra installs it
    _fast_dumps, _loads = _std_dumps, json.loads  # type: ignore[assignment]


def dumps(doc: Any) -> bytes:
    """Compact UTF-8 JSON (equivalent with or without orjson; floats may print differently)."""
    return _fast_dumps(doc)


@dataclass(frozen=True)
class ChatRequest:
    model: str
    request: CompletionRequest
    stream: bool
    include_usage: bool
    client_max_tokens: bool  # the client set max_tokens (then "length" is what it asked for)
    critic_check: bool = False  # `"mom": {"critic": true}`: a stronger model vets the answer


def _bad(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, message, param=param)


def _content(value: Any, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = []
        for i, part in enumerate(value):
            if not isinstance(part, dict) or part.get("type") != "text":
                raise _bad(f"{where}[{i}]: only text content parts are supported", where)
            text = part.get("text")
            if not isinstance(text, str):
                raise _bad(f"{where}[{i}].text: expected a string", where)
            texts.append(text)
        return "".join(texts)
    raise _bad(f"{where}: expected a string or a list of text parts", where)


def parse_chat(raw: bytes, default_max_tokens: int) -> ChatRequest:
    try:
        doc = _loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad(f"request body is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise _bad("request body must be a JSON object")
    model = doc.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("model: required, a string such as 'mom'", "model")
    messages = doc.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad("messages: required, a non-empty list", "messages")
    parsed: list[Message] = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict):
            raise _bad(f"messages[{i}]: expected an object", "messages")
        role = msg.get("role")
        if role not in ROLES:
            raise _bad(
                f"messages[{i}].role: {role!r} is not supported (use {', '.join(ROLES)})",
                "messages",
            )
        parsed.append(Message(ROLES[role], _content(msg.get("content"), f"messages[{i}].content")))
    for unsupported in ("tools", "functions"):
        if doc.get(unsupported):
            raise _bad(f"{unsupported}: not supported by mom serve", unsupported)
    n = doc.get("n", 1)
    if n not in (1, None):
        raise _bad("n: only 1 choice is supported", "n")
    max_tokens = doc.get("max_completion_tokens", doc.get("max_tokens"))
    client_max = max_tokens is not None
    if max_tokens is None:
        max_tokens = default_max_tokens
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise _bad("max_tokens: expected a positive integer", "max_tokens")
    temperature = doc.get("temperature", 0.2)
    if temperature is None:
        temperature = 0.2
    if (
        not isinstance(temperature, int | float)
        or isinstance(temperature, bool)
        or not (0 <= temperature <= 2)
    ):
        raise _bad("temperature: expected a number from 0 to 2", "temperature")
    stop = doc.get("stop") or ()
    if isinstance(stop, str):
        stop = (stop,)
    if not isinstance(stop, list | tuple) or not all(isinstance(s, str) for s in stop):
        raise _bad("stop: expected a string or a list of strings", "stop")
    fmt = doc.get("response_format") or {}
    json_mode = isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema")
    stream = doc.get("stream", False)
    if not isinstance(stream, bool):
        raise _bad("stream: expected true or false", "stream")
    options = doc.get("stream_options") or {}
    if not isinstance(options, dict):
        raise _bad("stream_options: expected an object", "stream_options")
    request = CompletionRequest(
        messages=tuple(parsed),
        max_tokens=max_tokens,
        temperature=float(temperature),
        stop=tuple(stop),
        json_mode=json_mode,
    )
    extension = doc.get("mom") or {}
    if not isinstance(extension, dict):
        raise _bad('mom: expected an object such as {"critic": true}', "mom")
    critic = extension.get("critic", False)
    if not isinstance(critic, bool):
        raise _bad("mom.critic: expected true or false", "mom")
    return ChatRequest(
        model, request, stream, bool(options.get("include_usage")), client_max, critic
    )


_ID_PREFIX = "chatcmpl-mom" + os.urandom(6).hex()
_ids = itertools.count(1)


def completion_id() -> str:
    """Unique per process start and request, without a syscall per request."""
    return f"{_ID_PREFIX}{next(_ids):x}"


def usage(tokens_in: int, tokens_out: int) -> dict[str, int]:
    return {
        "prompt_tokens": tokens_in,
        "completion_tokens": tokens_out,
        "total_tokens": tokens_in + tokens_out,
    }


def completion_body(
    cid: str, model: str, text: str, finish: str, tokens: tuple[int, int], mom: dict[str, Any]
) -> bytes:
    return dumps(
        {
            "id": cid,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "logprobs": None,
                    "finish_reason": finish,
                }
            ],
            "usage": usage(*tokens),
            "system_fingerprint": None,
            "mom": mom,
        }
    )


class ChunkWriter:
    """SSE lines of one streamed completion (`data: {...}\\n\\n`, then `data: [DONE]`)."""

    def __init__(self, cid: str, model: str) -> None:
        self.created = int(time.time())
        head = dumps(
            {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": model,
                "system_fingerprint": None,
            }
        )
        self._head = head[:-1]  # reuse the encoded prefix: one dumps per piece, not two

    def _line(self, rest: dict[str, Any]) -> bytes:
        return b"data: " + self._head + b"," + dumps(rest)[1:] + b"\n\n"

    def delta(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        return self._line(
            {
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
                "usage": None,
            }
        )

    def usage(self, tokens: tuple[int, int], mom: dict[str, Any]) -> bytes:
        return self._line({"choices": [], "usage": usage(*tokens), "mom": mom})

    @staticmethod
    def error(exc: ApiError) -> bytes:
        return b"data: " + exc.body() + b"\n\n"

    DONE = b"data: [DONE]\n\n"
