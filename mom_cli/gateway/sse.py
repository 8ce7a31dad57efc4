"""The SSE response of a streamed chat request, in OpenAI's chunk shape.

Headers wait for the first piece, so an error before any text (budget, every tier down)
is a real HTTP error the SDK can raise, and x-mom-tier names the tier that answered. A
client that goes away cancels the stream (and with it the upstream call); the request's
ledger rows are committed before the last byte goes out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mom_cli.gateway.errors import to_api_error
from mom_cli.gateway.scope import RequestScope
from mom_cli.gateway.shapes import ApiError, ChatRequest, ChunkWriter, completion_id
from mom_cli.gateway.streaming import Piece, StreamStart
from mom_cli.providers.base import StreamEnd

if TYPE_CHECKING:
    from mom_cli.gateway.app import Gateway

log = logging.getLogger("mom.gateway")
JSON = "application/json"


async def until_disconnect(receive: Receive) -> None:
    """Return when the client goes away (the ASGI server's `http.disconnect`)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


class StreamResponse(Response):
    """SSE in OpenAI's chunk shape. Headers wait for the first piece, so an error before
    any text (budget, every tier down) is a real HTTP error the SDK can raise, and
    x-mom-tier names the tier that actually answered."""

    def __init__(
        self, gateway: Gateway, chat: ChatRequest, scope: RequestScope, started: float
    ) -> None:
        self.gateway = gateway
        self.chat = chat
        self.scope = scope
        self.started = started

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        pump = asyncio.ensure_future(self._pump(send))
        watch = asyncio.ensure_future(until_disconnect(receive))
        try:
            await asyncio.wait((pump, watch), return_when=asyncio.FIRST_COMPLETED)
            if not pump.done():
                pump.cancel()
                await asyncio.gather(pump, return_exceptions=True)
                log.info("client %s disconnected mid-stream; upstream cancelled", self.scope.client)
                self.gateway._count(self.chat.model, 499, None, self.started)
            else:
                pump.result()
        finally:
            watch.cancel()
            self.gateway.core.close_scope(self.scope)
            self.gateway.active -= 1

    async def _pump(self, send: Send) -> None:
        chat, gw = self.chat, self.gateway
        stream = gw.core.stream(chat.model, chat.request)
        try:
            await self._relay(send, stream)
        finally:
            await stream.aclose()

    async def _relay(self, send: Send, stream: AsyncGenerator[Piece, None]) -> None:
        chat, gw = self.chat, self.gateway
        writer = ChunkWriter(completion_id(), chat.model)
        try:
            first = await anext(stream)
        except Exception as exc:
            err = to_api_error(exc)
            gw._log_error(self.scope, err, exc)
            gw._count(chat.model, err.status, err, self.started)
            headers = [(b"content-type", JSON.encode())]
            headers += [(k.encode(), v.encode()) for k, v in err.headers.items()]
            await send({"type": "http.response.start", "status": err.status, "headers": headers})
            await send({"type": "http.response.body", "body": err.body(), "more_body": False})
            return
        assert isinstance(first, StreamStart)
        headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
            (b"x-mom-tier", first.tier.encode()),
            (b"x-mom-models", first.model.encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        body = writer.delta({"role": "assistant", "content": ""})
        failed: ApiError | None = None
        finish = "stop"
        try:
            async for piece in stream:
                if isinstance(piece, StreamEnd):
                    finish = piece.finish_reason or "stop"
                elif isinstance(piece, str) and piece:
                    await send(
                        {
                            "type": "http.response.body",
                            "body": body + writer.delta({"content": piece}),
                            "more_body": True,
                        }
                    )
                    body = b""
        except Exception as exc:
            failed = to_api_error(exc)
            gw._log_error(self.scope, failed, exc)
        try:
            await gw.core.settle_scope(self.scope)  # rows committed before the last byte
        except Exception as exc:
            failed = failed or to_api_error(exc)
            gw._log_error(self.scope, failed, exc)
        if failed is not None:
            tail = body + ChunkWriter.error(failed)
            gw._count(chat.model, failed.status, failed, self.started)
        else:
            tail = body + writer.delta({}, finish)
            if chat.include_usage:
                meta = {
                    "tier": first.tier,
                    "model": first.model,
                    "escalations": first.escalations,
                    "cost_usd": self.scope.cost_usd,
                }
                tail += writer.usage(self.scope.tokens, meta)
            tail += ChunkWriter.DONE
            gw._count(chat.model, 200, None, self.started)
        await send({"type": "http.response.body", "body": tail, "more_body": False})
