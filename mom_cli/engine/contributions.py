"""ContributionRecord: who produced which part of the final result, and how much of it.

One record per sub-task whose output reached the final answer (the attempt that passed),
weighted by its share of the output tokens. Failed attempts and the synthesis call cost
money too; they are in the run's totals, not in the contributions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from mom_cli.edits.fileio import write_atomic
from mom_cli.providers.base import Completion
from mom_cli.routing.ladder import Assist


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


def with_assists(
    records: Iterable[ContributionRecord], assists: Mapping[str, Sequence[Assist]]
) -> list[ContributionRecord]:
    """Split a sub-task's weight between its model and the rules that repaired its edit
    (tier "rules", no tokens, $0); each assist takes its `share` of the step's weight."""
    out: list[ContributionRecord] = []
    for rec in records:
        helpers = list(assists.get(rec.subtask_id, ()))
        kept = max(0.0, 1.0 - sum(a.share for a in helpers))
        out.append(replace(rec, weight=round(rec.weight * kept, 4)))
        out += [
            ContributionRecord(
                subtask_id=rec.subtask_id,
                model=a.model,
                tier=a.tier,
                provider=a.tier,
                endpoint="",
                input_tokens=0,
                output_tokens=0,
                cost_usd=0.0,
                weight=round(rec.weight * a.share, 4),
            )
            for a in helpers
        ]
    return out


def write_run_record(runs_dir: Path, run_id: str, document: dict[str, Any]) -> Path:
    """Store a run's document (plan, steps, contributions, totals) as runs/<run_id>.json."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    path = runs_dir / f"{run_id}.json"
    write_atomic(path, json.dumps(document, indent=2, default=str).encode("utf-8"))
    return path
