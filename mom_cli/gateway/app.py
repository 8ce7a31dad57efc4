"""The Starlette app: /v1/chat/completions, /v1/models, /health, /metrics.

Thin on purpose: check the caller (auth, concurrency, body size), parse, hand the request
to GatewayCore, render OpenAI shapes. A client that goes away cancels the upstream work:
both response kinds watch the ASGI `http.disconnect` message while the core runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mom_cli.errors import MomError
from mom_cli.gateway.auth import Client, TokenTable
from mom_cli.gateway.core import COMPETE, ROUTED, GatewayCore
from mom_cli.gateway.errors import to_api_error
from mom_cli.gateway.metrics import SharedMetrics
from mom_cli.gateway.scope import RequestScope
from mom_cli.gateway.shapes import (
    ApiError,
    ChatRequest,
    completion_body,
    completion_id,
    parse_chat,
    usage,
)
from mom_cli.gateway.sse import StreamResponse, until_disconnect

log = logging.getLogger("mom.gateway")
JSON = "application/json"


@dataclass
class Limits:
    max_body_bytes: int
    max_concurrent: int
    default_max_tokens: int


def error_response(exc: ApiError) -> Response:
    return Response(exc.body(), exc.status, headers=exc.headers, media_type=JSON)


def _header(request: Request, name: bytes) -> str | None:
    """One raw header, without building Starlette's Headers object (hot path)."""
    for key, value in request.scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _read_body(request: Request, limit: int) -> bytes:
    declared = _header(request, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(
            413,
            f"request body of {declared} bytes exceeds the {limit}-byte limit",
            "invalid_request_error",
            "request_too_large",
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(
                413,
                f"request body exceeds the {limit}-byte limit",
                "invalid_request_error",
                "request_too_large",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _strategy(model: str) -> str:
    return {ROUTED: "mom", COMPETE: "compete"}.get(model, "direct")


class Gateway:
    def __init__(
        self,
        core: GatewayCore,
        tokens: TokenTable,
        limits: Limits,
        shared: SharedMetrics | None = None,
    ) -> None:
        self.core = core
        self.shared = shared  # --workers N: /metrics sums every worker's counts
        self.tokens = tokens
        self.limits = limits
        self.active = 0
        self.metrics = core.metrics
        self.started = time.time()

    # -- plumbing --------------------------------------------------------------------------
    def _client(self, request: Request) -> Client:
        client = self.tokens.client_for(_header(request, b"authorization"))
        if client is None:
            raise ApiError(
                401,
                "missing or invalid bearer token (Authorization: Bearer …)",
                "invalid_request_error",
                "invalid_api_key",
            )
        return client

    def _count(self, model: str, status: int, err: ApiError | None, started: float) -> None:
        label = model if self.core.knows(model) else "unknown"
        self.metrics.inc("mom_gateway_requests_total", model=label, status=str(status))
        self.metrics.observe(
            "mom_gateway_request_seconds", time.perf_counter() - started, strategy=_strategy(model)
        )
        if err is not None:
            self.metrics.inc("mom_gateway_errors_total", type=err.type)

    # -- endpoints -------------------------------------------------------------------------
    async def chat(self, request: Request) -> Response:
        started = time.perf_counter()
        model = ""
        if self.active >= self.limits.max_concurrent:
            err = ApiError(
                429,
                f"too many concurrent requests (limit {self.limits.max_concurrent}); retry shortly",
                "rate_limit_exceeded",
                headers={"retry-after": "1"},
            )
            self._count(model, 429, err, started)
            return error_response(err)
        self.active += 1
        handed_off = False
        try:
            client = self._client(request)
            chat = parse_chat(
                await _read_body(request, self.limits.max_body_bytes),
                self.limits.default_max_tokens,
            )
            model = chat.model
            if not self.core.knows(model):
                raise ApiError(
                    404,
                    f"model {model!r} does not exist; try {', '.join(self.core.model_names())}",
                    "invalid_request_error",
                    "model_not_found",
                    "model",
                )
            scope = self.core.open_scope(client.id, client.daily_budget_usd)
            if chat.stream:
                handed_off = True
                return StreamResponse(self, chat, scope, started)
            return await self._json(request, chat, scope, started)
        except ApiError as exc:
            self._count(model, exc.status, exc, started)
            return error_response(exc)
        finally:
            if not handed_off:
                self.active -= 1

    async def _json(
        self, request: Request, chat: ChatRequest, scope: RequestScope, started: float
    ) -> Response:
        # The answer is awaited in this task; a watcher cancels it if the client goes away
        # (a task for the work and asyncio.wait cost each request CPU and loop hops).
        this = asyncio.current_task()
        state = {"answering": True, "gone": False}

        def client_gone(watcher: asyncio.Future[None]) -> None:
            # a callback already scheduled when the answer came must not cancel what follows
            if this is None or not state["answering"] or watcher.cancelled():
                return
            if watcher.exception() is None:
                state["gone"] = True
                this.cancel()

        watch = asyncio.ensure_future(until_disconnect(request.receive))
        watch.add_done_callback(client_gone)
        try:
            try:
                answer = await self.core.answer(
                    chat.model,
                    chat.request,
                    client_max=chat.client_max_tokens,
                    critic_check=chat.critic_check,
                )
            finally:
                state["answering"] = False
            await self.core.settle_scope(scope)  # rows committed before the answer goes
        except asyncio.CancelledError:
            if not state["gone"] or this is None:
                raise  # the server is shutting down, not the client
            this.uncancel()
            log.info("client %s disconnected; upstream call cancelled", scope.client)
            self._count(chat.model, 499, None, started)
            return Response(status_code=499)
        except Exception as exc:  # a bug must still answer in OpenAI's shape
            err = to_api_error(exc)
            self._log_error(scope, err, exc)
            self._count(chat.model, err.status, err, started)
            return error_response(err)
        finally:
            watch.cancel()
            self.core.close_scope(scope)
        tokens = scope.tokens
        meta = {**answer.metadata, "strategy": answer.strategy, "cost_usd": scope.cost_usd}
        body = completion_body(
            completion_id(), chat.model, answer.text, answer.finish_reason, tokens, meta
        )
        self._count(chat.model, 200, None, started)
        return Response(
            body,
            200,
            media_type=JSON,
            headers={
                "x-mom-tier": ",".join(
                    dict.fromkeys(
                        answer.tiers[-1:] if answer.strategy != "compete" else answer.tiers
                    )
                ),
                "x-mom-models": ",".join(answer.models),
                "x-mom-cost-usd": f"{scope.cost_usd:.6f}",
            },
        )

    def _log_error(
        self, scope: RequestScope, err: ApiError, exc: BaseException | None = None
    ) -> None:
        """One line per failed request: the client's id, never its token."""
        unexpected = exc is not None and not isinstance(exc, MomError | ApiError)
        log.warning(
            "client %s: %s %s: %s",
            scope.client,
            err.status,
            err.type,
            err.message,
            exc_info=exc if unexpected else None,
        )

    async def models(self, request: Request) -> Response:
        try:
            self._client(request)
        except ApiError as exc:
            return error_response(exc)
        now = int(self.started)
        data = [
            {"id": name, "object": "model", "created": now, "owned_by": "mom"}
            for name in self.core.model_names()
        ]
        return JSONResponse({"object": "list", "data": data})

    async def health(self, request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "in_flight": self.active,
                "ledger_schema": self.core.ledger.schema_version,
            }
        )

    async def metrics_text(self, request: Request) -> Response:
        try:
            self._client(request)
        except ApiError as exc:
            return error_response(exc)
        extra = f"# TYPE mom_gateway_in_flight gauge\nmom_gateway_in_flight {self.active}\n"
        counts = self.shared.combined() if self.shared is not None else self.metrics
        return PlainTextResponse(counts.render() + extra, media_type="text/plain; version=0.0.4")


CHAT_PATHS = frozenset({"/v1/chat/completions", "/chat/completions"})


class GatewayApp:
    """The ASGI entry: chat requests go straight to the handler (Starlette's middleware
    and routing cost ~15% of a pass-through request's CPU); everything else, lifespan
    included, goes through the Starlette app."""

    def __init__(self, app: Starlette, gateway: Gateway) -> None:
        self.app = app
        self.gateway = gateway
        self.state = app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in CHAT_PATHS:
            response = await self.gateway.chat(Request(scope, receive))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def build_app(
    core: GatewayCore, tokens: TokenTable, limits: Limits, metrics_dir: str | None = None
) -> GatewayApp:
    shared = SharedMetrics(metrics_dir, core.metrics) if metrics_dir else None
    gw = Gateway(core, tokens, limits, shared)

    async def publish_every_second(shared: SharedMetrics) -> None:
        while True:
            await asyncio.sleep(1.0)
            try:
                shared.publish()
            except OSError as exc:
                log.warning("cannot publish metrics to %s: %s", shared.directory, exc)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        publisher = asyncio.ensure_future(publish_every_second(shared)) if shared else None
        try:
            yield
        finally:
            if publisher is not None and shared is not None:
                publisher.cancel()
                with contextlib.suppress(OSError):
                    shared.publish()
            await core.aclose()
            core.close()

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        return error_response(
            ApiError(
                status,
                f"no route {request.method} {request.url.path}",
                "invalid_request_error",
                "not_found",
            )
        )

    routes = [
        Route("/v1/chat/completions", gw.chat, methods=["POST"]),
        Route("/chat/completions", gw.chat, methods=["POST"]),
        Route("/v1/models", gw.models, methods=["GET"]),
        Route("/health", gw.health, methods=["GET"]),
        Route("/metrics", gw.metrics_text, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={404: not_found, 405: not_found}
    )
    app.state.gateway = gw
    return GatewayApp(app, gw)


Handler = Callable[[Request], Awaitable[Response]]
__all__ = ["Gateway", "GatewayApp", "Limits", "build_app", "usage"]
