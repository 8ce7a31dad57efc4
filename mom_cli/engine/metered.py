"""MeteredCaller: a ModelCaller wrapper that keeps every completion of one run.

Run totals are summed from the completions the provider layer priced (the same figures
it writes to the ledger), so `mom run` reports what was spent, not an estimate.
"""

from __future__ import annotations

from mom_cli.providers.base import Availability, Completion, CompletionRequest, ModelCaller


class MeteredCaller:
    def __init__(self, inner: ModelCaller) -> None:
        self.inner = inner
        self.completions: list[Completion] = []

    async def complete(
        self, request: CompletionRequest, *, model: str, run_id: str = "", task_id: str = ""
    ) -> Completion:
        completion = await self.inner.complete(request, model=model, run_id=run_id, task_id=task_id)
        self.completions.append(completion)
        return completion

    def availability(self, model: str) -> Availability:
        return self.inner.availability(model)

    def in_flight(self, model: str) -> int:
        return self.inner.in_flight(model)

    def totals(self) -> tuple[int, int, float, int]:
        """(input tokens, output tokens, cost USD, calls) so far."""
        c = self.completions
        return (
            sum(x.input_tokens for x in c),
            sum(x.output_tokens for x in c),
            sum(x.cost_usd for x in c),
            len(c),
        )
