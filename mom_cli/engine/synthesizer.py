"""ResponseSynthesizer: combine sub-task outputs into one answer.

One part is returned verbatim (deterministic, no call). Several parts go to a model picked
from the ladder, guided by the decomposer's synthesis prompt. If no model is usable or the
call fails, the parts are concatenated in graph order with a warning: the user always
gets every part that was produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mom_cli.errors import MomError
from mom_cli.events import EventSink, Notice, null_sink
from mom_cli.providers.base import Completion, CompletionRequest, ModelCaller
from mom_cli.routing.classify import estimate_tokens
from mom_cli.routing.selector import ModelSelector, StepProfile
from mom_cli.routing.subtask import SubTask

SYSTEM = "You merge partial answers into one clear, complete response. Keep code exact."


@dataclass(frozen=True)
class Synthesis:
    text: str
    method: str  # "single" | "model" | "concatenated" | "empty"
    completion: Completion | None = None
    note: str = ""


def concatenate(parts: Sequence[tuple[SubTask, str]]) -> str:
    if len(parts) == 1:
        return parts[0][1]
    blocks = []
    for task, output in parts:
        title = task.prompt.splitlines()[0][:80] if task.prompt else task.id
        blocks.append(f"## {title}\n\n{output.strip()}")
    return "\n\n".join(blocks)


class ResponseSynthesizer:
    def __init__(
        self,
        caller: ModelCaller | None,
        selector: ModelSelector,
        *,
        sink: EventSink = null_sink,
        max_tier: str | None = None,
        run_id: str = "",
    ) -> None:
        self.caller = caller
        self.selector = selector
        self.sink = sink
        self.max_tier = max_tier
        self.run_id = run_id

    def profile(self, parts: Sequence[tuple[SubTask, str]]) -> StepProfile:
        size = sum(estimate_tokens(out) for _, out in parts)
        return StepProfile(
            category="general",
            complexity="simple" if size < 1500 else "medium",
            input_tokens=size + 200,
            output_tokens=size + 100,
        )

    async def synthesize(
        self, request: str, synthesis_prompt: str, parts: Sequence[tuple[SubTask, str]]
    ) -> Synthesis:
        if not parts:
            return Synthesis("", "empty")
        if len(parts) == 1:
            return Synthesis(parts[0][1], "single")
        selection = self.selector.select(self.profile(parts), max_tier=self.max_tier)
        if self.caller is None or not selection.available:
            return self._fallback(parts, "no usable model for synthesis")
        body = "\n\n".join(
            f"### Part {task.id} ({task.category}): {task.prompt.splitlines()[0][:100]}\n{out}"
            for task, out in parts
        )
        prompt = f"{synthesis_prompt}\n\nOriginal request:\n{request}\n\n{body}"
        error = ""
        for rung in selection.rungs[:2]:
            try:
                comp = await self.caller.complete(
                    CompletionRequest.from_prompt(prompt, system=SYSTEM, max_tokens=4096),
                    model=rung.model,
                    run_id=self.run_id,
                    task_id="synthesis",
                )
            except MomError as exc:
                error = f"{type(exc).__name__}: {exc}"
                continue
            if comp.content.strip():
                return Synthesis(comp.content, "model", comp)
            error = f"{rung.model} returned an empty answer"
        return self._fallback(parts, error or "synthesis failed")

    def _fallback(self, parts: Sequence[tuple[SubTask, str]], why: str) -> Synthesis:
        note = f"synthesis: {why}; parts concatenated in order"
        self.sink(Notice(note, level="warning", data={"source": "synthesizer"}))
        return Synthesis(concatenate(parts), "concatenated", note=note)
