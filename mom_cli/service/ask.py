"""`ask`: one request answered by the cheapest usable tier, escalating on failure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mom_cli.events import EventSink, null_sink
from mom_cli.service.cancel import CancelToken, run_async

if TYPE_CHECKING:
    from mom_cli.providers.base import Completion
    from mom_cli.providers.ladder_call import LadderResult
    from mom_cli.service.workspace import Workspace


def ask(
    ws: Workspace,
    prompt: str,
    *,
    sink: EventSink = null_sink,
    token: CancelToken | None = None,
    tier: str | None = None,
    model: str | None = None,
    system: str = "",
    max_tokens: int = 512,
    category: str = "",
) -> LadderResult:
    from mom_cli.providers.base import CompletionRequest

    request = CompletionRequest.from_prompt(prompt, system=system, max_tokens=max_tokens)
    return run_async(_ask(ws, request, sink, tier, model, category), token)


async def _ask(
    ws: Workspace,
    request: object,
    sink: EventSink,
    tier: str | None,
    model: str | None,
    category: str,
) -> LadderResult:
    from mom_cli.errors import UsageError
    from mom_cli.ledger.store import Ledger
    from mom_cli.providers.base import CompletionRequest
    from mom_cli.providers.ladder_call import complete_on_ladder, first_usable_tier, model_tiers
    from mom_cli.providers.pool import ProviderPool

    assert isinstance(request, CompletionRequest)
    pool = ProviderPool(ws.config, Ledger(), sink)
    try:
        if tier is None and model is None:
            tier = first_usable_tier(pool, model_tiers(ws.config))
            if tier is None:
                raise UsageError("no model tier is usable here; run `mom doctor` to see why")
        return await complete_on_ladder(
            pool, request, tier=tier, model=model, sink=sink, category=category
        )
    finally:
        await pool.aclose()


def cut_off_note(completion: Completion) -> str:
    """Why a reply stops mid-sentence, or "": it reached its token limit. The embedded
    model often repeats itself until it does, and the answer read as if it were whole."""
    if completion.finish_reason != "length":
        return ""
    return f"cut off at its {completion.output_tokens}-token limit"
