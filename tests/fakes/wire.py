"""The three wire formats the fakes speak: OpenAI chat completions (also Groq's, under
/openai/v1/), Anthropic messages (SSE events), and Ollama (/api/chat NDJSON, /api/tags)."""

from __future__ import annotations

import json
from typing import Any


def _words(body: Any) -> int:
    """A stand-in token count: words in the request's messages (and system prompt)."""
    messages = body.get("messages", []) if isinstance(body, dict) else []
    text = " ".join(str(m.get("content", "")) for m in messages) + " " + str(body.get("system", ""))
    return max(1, len(text.split()))


def _pieces(content: str) -> list[str]:
    words = content.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]


def _anthropic_stop(finish: str) -> str:
    return "max_tokens" if finish == "length" else "end_turn"


def _sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {payload}\n\n".encode()


class OpenAIWire:
    def is_chat(self, path: str) -> bool:
        return path.rstrip("/").endswith("/chat/completions")

    def wants_stream(self, body: Any) -> bool:
        return bool(body.get("stream"))

    def reply_body(self, content: str, body: Any, finish: str = "stop") -> dict[str, Any]:
        prompt, completion = _words(body), len(content.split())
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    def stream_parts(self, content: str, body: Any, finish: str = "stop") -> list[bytes]:
        prompt, completion = _words(body), len(content.split())
        usage = {"prompt_tokens": prompt, "completion_tokens": completion,
                 "total_tokens": prompt + completion}  # fmt: skip

        def chunk(delta: dict[str, Any], reason: str | None, **extra: Any) -> bytes:
            return _sse(
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "delta": delta, "finish_reason": reason}],
                    **extra,
                }
            )

        parts = [chunk({"role": "assistant", "content": ""}, None)]
        parts += [chunk({"content": p}, None) for p in _pieces(content)]
        # Groq reports a stream's usage in `x_groq` on the last choice chunk (its SDK has no
        # stream_options); OpenAI ignores the field.
        parts.append(chunk({}, finish, x_groq={"id": "req_fake", "usage": usage}))
        options = body.get("stream_options") or {}
        if options.get("include_usage"):  # as OpenAI does: one last chunk, no choices
            parts.append(_sse({"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                               "created": 0, "model": body.get("model", "fake"),
                               "choices": [], "usage": usage}))  # fmt: skip
        parts.append(_sse("[DONE]"))
        return parts

    def stream_type(self) -> str:
        return "text/event-stream"

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"error": {"message": message, "type": "fake_error", "code": str(status)}}

    def get(self, path: str) -> dict[str, Any] | None:
        return {"object": "list", "data": []} if path.endswith("/models") else None


class AnthropicWire:
    def is_chat(self, path: str) -> bool:
        return path.rstrip("/").endswith("/v1/messages")

    def wants_stream(self, body: Any) -> bool:
        return bool(body.get("stream"))

    def _message(
        self, content: list[dict[str, Any]], body: Any, out: int, finish: str = "stop"
    ) -> dict[str, Any]:
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "fake"),
            "content": content,
            "stop_reason": _anthropic_stop(finish) if content else None,
            "stop_sequence": None,
            "usage": {"input_tokens": _words(body), "output_tokens": out},
        }

    def reply_body(self, content: str, body: Any, finish: str = "stop") -> dict[str, Any]:
        text = [{"type": "text", "text": content}]
        return self._message(text, body, len(content.split()), finish)

    def stream_parts(self, content: str, body: Any, finish: str = "stop") -> list[bytes]:
        parts = [
            _sse(
                {"type": "message_start", "message": self._message([], body, 1)}, "message_start"
            ),  # fmt: skip
            _sse(
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
                "content_block_start",
            ),
        ]
        for piece in _pieces(content):
            delta = {"type": "text_delta", "text": piece}
            parts.append(
                _sse(
                    {"type": "content_block_delta", "index": 0, "delta": delta},
                    "content_block_delta",
                )  # fmt: skip
            )
        parts.append(_sse({"type": "content_block_stop", "index": 0}, "content_block_stop"))
        parts.append(
            _sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": _anthropic_stop(finish), "stop_sequence": None},
                    "usage": {"output_tokens": len(content.split())},
                },
                "message_delta",
            )
        )
        parts.append(_sse({"type": "message_stop"}, "message_stop"))
        return parts

    def stream_type(self) -> str:
        return "text/event-stream"

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        kind = {401: "authentication_error", 429: "rate_limit_error"}.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message}}

    def get(self, path: str) -> dict[str, Any] | None:
        return None


class OllamaWire:
    def __init__(self, models: tuple[str, ...] = ("qwen2.5-coder:7b",)) -> None:
        self.models = models

    def is_chat(self, path: str) -> bool:
        return path.rstrip("/") == "/api/chat"

    def wants_stream(self, body: Any) -> bool:
        return body.get("stream", True) is not False

    def _part(
        self, body: Any, text: str, done: bool, out: int = 0, finish: str = "stop"
    ) -> dict[str, Any]:
        part: dict[str, Any] = {
            "model": body.get("model", "fake"),
            "created_at": "2025-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": text},
            "done": done,
        }
        if done:
            part.update(done_reason=finish, prompt_eval_count=_words(body), eval_count=out)
        return part

    def reply_body(self, content: str, body: Any, finish: str = "stop") -> dict[str, Any]:
        return self._part(body, content, True, len(content.split()), finish)

    def stream_parts(self, content: str, body: Any, finish: str = "stop") -> list[bytes]:
        lines = [self._part(body, p, False) for p in _pieces(content)]
        lines.append(self._part(body, "", True, len(content.split()), finish))
        return [(json.dumps(line) + "\n").encode() for line in lines]

    def stream_type(self) -> str:
        return "application/x-ndjson"

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"error": message}

    def get(self, path: str) -> dict[str, Any] | None:
        if path.rstrip("/") == "/api/tags":
            return {"models": [{"name": m, "model": m, "size": 1} for m in self.models]}
        return None
