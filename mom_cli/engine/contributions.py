"""ContributionRecord: who produced which part of the final result, and how much of it.

One record per sub-task whose output reached the final answer (the attempt that passed),
weighted by its share of the output tokens. Failed attempts and the synthesis call cost
money too; they are in the run's totals, not in the contributions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mom_cli.providers.base import Completion


@dataclass(frozen=True)
class ContributionRecord:
    subtask_id: str
    model: str
    tier: str
    provider: str
    endpoint: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    weight: float  # share of the final result, 0..1; weights of one run sum to 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def contributions(parts: Iterable[tuple[str, Completion]]) -> list[ContributionRecord]:
    """Records for (subtask_id, winning completion) pairs, weighted by output tokens."""
    items = list(parts)
    total = sum(max(c.output_tokens, 1) for _, c in items)
    return [
        ContributionRecord(
            subtask_id=task_id,
            model=c.model,
            tier=c.tier,
            provider=c.provider,
            endpoint=c.endpoint,
            input_tokens=c.input_tokens,
            output_tokens=c.output_tokens,
            cost_usd=c.cost_usd,
            weight=round(max(c.output_tokens, 1) / total, 4) if total else 0.0,
        )
        for task_id, c in items
    ]


def write_run_record(runs_dir: Path, run_id: str, document: dict[str, Any]) -> Path:
    """Store a run's document (plan, steps, contributions, totals) as runs/<run_id>.json."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    path = runs_dir / f"{run_id}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)
    return path
