"""Streamed answers: which model streams, and escalation before the first token.

A routed stream (`mom`) tries the ladder's rungs in order and moves up on a provider
error or an empty answer, but only until the first piece reaches the client: what the
client has seen cannot be taken back, so a failure after it ends the stream with an
error event instead (the JSON path, which sees the whole answer first, also escalates on
truncation and on a critic's FAIL). `mom-compete` cannot stream its merge, so it answers
in one piece. The pool does the per-call work: budget, retries, deadlines, ledger rows.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mom_cli.errors import ProviderError
from mom_cli.providers.base import CompletionRequest, StreamEnd
from mom_cli.routing.ladder import Rung

if TYPE_CHECKING:
    from mom_cli.gateway.core import GatewayCore


@dataclass
class StreamStart:
    """Which model a stream ended up on (sent before its first piece)."""

    tier: str
    model: str
    escalations: list[dict[str, str]]


Piece = StreamStart | str | StreamEnd


async def stream_answer(
    core: GatewayCore, model: str, request: CompletionRequest
) -> AsyncGenerator[Piece, None]:
    """Yield a StreamStart, then text pieces, then a StreamEnd (its finish reason)."""
    from mom_cli.gateway.core import COMPETE, ROUTED

    if model == COMPETE:
        answer = await core.answer(model, request, client_max=True)
        assert answer.final is not None
        yield StreamStart(answer.final.tier, ",".join(answer.models), [])
        yield answer.text
        yield StreamEnd(None, None, answer.finish_reason)
        return
    if model == ROUTED:
        rungs, category = core.rungs(request)
    else:
        rungs, category = [Rung(core.pool.model(model).tier, model)], ""
    escalations: list[dict[str, str]] = []
    for index, rung in enumerate(rungs):
        last = index + 1 == len(rungs)
        started = False
        end: StreamEnd | None = None
        stream = core.pool.stream(request, model=rung.model, category=category)
        try:
            async for item in stream:
                if isinstance(item, StreamEnd):
                    end = item
                    continue
                if not started:
                    started = True
                    yield StreamStart(rung.tier, rung.model, escalations)
                yield item
        except ProviderError as exc:
            if started or last:
                raise
            reason = f"{type(exc).__name__}: {exc}"
        else:
            if started or last:
                if not started:
                    yield StreamStart(rung.tier, rung.model, escalations)
                yield end or StreamEnd()
                return
            reason = "empty answer"
        finally:
            await stream.aclose()  # its ledger row is written here, in this task
        nxt = rungs[index + 1]
        escalations.append(
            {"from": f"{rung.tier}/{rung.model}", "to": f"{nxt.tier}/{nxt.model}",
             "reason": reason[:300]}
        )  # fmt: skip
