"""The prompt each step is sent: its own instruction, what upstream steps produced, and
what went wrong last time. Kept apart from the pipeline so it can be read (and tuned)
in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from mom_cli.providers.base import CompletionRequest
from mom_cli.routing.ladder import Feedback
from mom_cli.routing.selector import StepProfile
from mom_cli.routing.subtask import SubTask

if TYPE_CHECKING:
    from mom_cli.engine.pipeline import PlannedRun

SYSTEM = {
    "code": "You are a careful senior software engineer. Answer with working code.",
    "reasoning": "You reason step by step and explain clearly and concisely.",
    "creative": "You are a creative writer.",
    "factual": "Answer accurately and briefly. Say so when you are not sure.",
    "summarization": "Summarize faithfully: keep the key points, drop the rest.",
    "translation": "Translate faithfully, keeping meaning, tone and formatting.",
    "structured": "Produce exactly the requested structured format, nothing else.",
    "general": "You are a helpful assistant.",
}
UPSTREAM_LIMIT = 12_000  # characters of upstream output passed to a dependent step


class _HasOutput(Protocol):
    @property
    def output(self) -> str: ...


def step_request(
    planned: PlannedRun,
    task: SubTask,
    upstream: Mapping[str, _HasOutput],
    feedback: Feedback,
) -> CompletionRequest:
    parts = []
    if len(planned.graph) > 1:
        parts.append(f"(This is one part of a larger request: {planned.request[:400]})\n")
    parts.append(task.prompt)
    for dep_id, dep in upstream.items():
        dep_task = planned.graph.tasks[dep_id]
        head = dep_task.prompt.splitlines()[0][:100] if dep_task.prompt else dep_id
        parts.append(f"\nResult of the earlier step '{head}':\n{dep.output[:UPSTREAM_LIMIT]}")
    parts.append(feedback.as_prompt())
    expected = StepProfile(complexity=task.complexity).expected_output
    return CompletionRequest.from_prompt(
        "\n".join(p for p in parts if p),
        system=SYSTEM.get(task.category, SYSTEM["general"]),
        max_tokens=min(4096, max(256, expected * 2)),
    )
