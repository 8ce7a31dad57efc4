"""Durable run state: `.mom/runs/<milestone>-<id>.json`, rewritten after every change.

It is the run's memory across Ctrl-C and kill -9: which items are validated (never redone
on `--resume`), which one was in flight and in which phase (so its half-done edit can be
rolled back from its checkpoint step), the attempts made and the ledger rows they cost.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from mom_cli.errors import PlanError
from mom_cli.paths import repo_state_dir
from mom_cli.workflows.milestone.plan import atomic_write_bytes

# Item status: pending → running → validated | failed | skipped.
TERMINAL = frozenset({"validated", "failed", "skipped"})
# Phase of a running item, the crash-recovery cursor:
#   ""          nothing written yet (context, routing, model call)
#   "tests"     test-first: generated tests applied (checkpoint step in `steps`)
#   "edited"    the implementation is applied, not yet validated (step in `current_step`)
#   "validated" validation passed; the plan checkbox may not be ticked yet
#   "checked"   the checkbox is ticked; the item is done
PHASES = ("", "tests", "edited", "validated", "checked")
_SAVE_LOCK = threading.Lock()  # item tasks may save from worker threads


@dataclass
class Attempt:
    tier: str
    model: str
    outcome: str  # "validated" | "failed_validation" | "edit_error" | "unavailable" | …
    detail: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0


@dataclass
class ItemState:
    index: int
    text: str
    depends_on: list[int] = field(default_factory=list)
    status: str = "pending"
    phase: str = ""
    attempts: int = 0
    tier: str = ""
    model: str = ""
    current_step: str = ""  # checkpoint step id of the applied, unvalidated edit
    repair_steps: list[str] = field(default_factory=list)  # rule steps on top of it
    steps: list[str] = field(default_factory=list)  # every checkpoint step of this item
    ledger_ids: list[int] = field(default_factory=list)
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)
    diagnosis: str = ""
    history: list[Attempt] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemState:
        known = {f.name for f in fields(cls)}
        clean = {k: v for k, v in data.items() if k in known}
        clean["history"] = [Attempt(**a) for a in clean.get("history", [])]
        return cls(**clean)


@dataclass
class RunState:
    run_id: str
    milestone: int
    plan_path: str
    repo: str
    created: float
    updated: float
    pid: int
    status: str = "running"  # running | done | failed | interrupted | abandoned
    test_first: bool = False
    snapshot_ref: str = ""
    items: list[ItemState] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return runs_dir(Path(self.repo)) / f"{self.run_id}.json"

    def item(self, index: int) -> ItemState:
        for it in self.items:
            if it.index == index:
                return it
        raise KeyError(index)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def save(self) -> None:
        """Atomic rewrite (temp + fsync + rename): a crash leaves the old or the new file."""
        with _SAVE_LOCK:
            self.updated = time.time()
            data = json.dumps(self.to_dict(), indent=1).encode("utf-8")
            atomic_write_bytes(self.path, data)

    @classmethod
    def load(cls, path: Path) -> RunState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            items = [ItemState.from_dict(i) for i in data.pop("items", [])]
            known = {f.name for f in fields(cls)} - {"items"}
            return cls(**{k: v for k, v in data.items() if k in known}, items=items)
        except (OSError, ValueError, TypeError) as exc:
            raise PlanError(
                f"{path}: unreadable run state ({exc}); delete it to start over"
            ) from None

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for it in self.items:
            out[it.status] = out.get(it.status, 0) + 1
        return out

    def describe(self) -> str:
        c = self.counts()
        inflight = [str(i.index) for i in self.items if i.status == "running"]
        where = f", stopped during item {', '.join(inflight)}" if inflight else ""
        return (
            f"run {self.run_id} ({c.get('validated', 0)} of {len(self.items)} items validated"
            f"{where})"
        )


def runs_dir(repo: Path) -> Path:
    folder = repo_state_dir(repo) / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_run(repo: Path, milestone: int, plan_path: Path, *, test_first: bool) -> RunState:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    run_id = f"{milestone}-{stamp}-{secrets.token_hex(2)}"
    rel = (
        plan_path.relative_to(repo).as_posix() if plan_path.is_relative_to(repo) else str(plan_path)
    )
    now = time.time()
    return RunState(run_id, milestone, rel, str(repo), now, now, os.getpid(), test_first=test_first)


def runs_for(repo: Path, milestone: int) -> list[RunState]:
    """Every readable run of `milestone`, oldest first."""
    out = []
    for path in sorted(runs_dir(repo).glob(f"{milestone}-*.json")):
        try:
            run = RunState.load(path)
        except PlanError:
            continue
        if run.milestone == milestone:
            out.append(run)
    return sorted(out, key=lambda r: r.created)


def unfinished_run(repo: Path, milestone: int) -> RunState | None:
    """The latest run that stopped before finishing (crash, kill -9, Ctrl-C).

    Only called while holding the repo lock, so a "running" run cannot be live: its
    process is gone. That is what makes it stale.
    """
    runs = [r for r in runs_for(repo, milestone) if r.status in ("running", "interrupted")]
    return runs[-1] if runs else None
