"""The run report (and the dry-run plan) in the shape `--json` prints.

Spent figures come from the ledger rows of this run when a ledger is given; the dry run's
figures are estimates and say so (`estimated: true`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mom_cli.config import RULES_TIER, MomConfig
from mom_cli.ledger.report import answered_tokens
from mom_cli.ledger.store import Ledger
from mom_cli.providers.base import ModelCaller
from mom_cli.workflows.milestone.generate import Checklist
from mom_cli.workflows.milestone.item import rungs
from mom_cli.workflows.milestone.plan import Milestone
from mom_cli.workflows.milestone.prompts import SMALL_CONTEXT, build_request, targeted_context
from mom_cli.workflows.milestone.runstate import RunState

LOCAL_TIERS = ("rules", "local")


@dataclass
class ItemReport:
    index: int
    text: str
    status: str  # done (ticked before) | validated | failed | skipped | pending | planned
    depends_on: list[int]
    tier: str
    model: str
    attempts: int
    cost_usd: float
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0
    diagnosis: str = ""
    escalated: bool = False
    helped_by: list[str] = field(default_factory=list)  # rules that repaired its edit


@dataclass
class Totals:
    items: int
    counts: dict[str, int]
    escalation_rate: float
    local_handling_rate: float
    tokens_in: int
    tokens_out: int
    cost_usd: float
    baseline_model: str
    baseline_cost_usd: float
    savings_usd: float
    estimated: bool = False


@dataclass
class RunReport:
    milestone: int
    title: str
    items: list[ItemReport]
    totals: Totals
    run_id: str = ""
    dry_run: bool = False
    checklist_source: str = "plan"  # plan | model | deterministic
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(it.status in ("done", "validated", "planned") for it in self.items)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _escalated(tiers: list[str]) -> bool:
    return len(dict.fromkeys(tiers)) > 1


def build_report(
    config: MomConfig, milestone: Milestone, run: RunState, ledger: Ledger | None
) -> RunReport:
    items = []
    for st in run.items:
        tried = [a.tier for a in st.history if a.model and a.tier != RULES_TIER]
        rules = [a.model for a in st.history if a.tier == RULES_TIER and a.outcome == "validated"]
        items.append(
            ItemReport(
                st.index,
                st.text,
                st.status,
                list(st.depends_on),
                st.tier,
                st.model,
                st.attempts,
                round(st.cost_usd, 6),
                st.tokens_in,
                st.tokens_out,
                round(st.seconds, 2),
                st.diagnosis,
                _escalated(tried),
                list(dict.fromkeys(rules)),
            )
        )
    if ledger is not None:
        rows = ledger.rows(run_id=run.run_id)
        tokens_in = sum(r.input_tokens for r in rows)
        tokens_out = sum(r.output_tokens for r in rows)
        spent = sum(r.cost_usd for r in rows)
        answered = answered_tokens(rows)
    else:
        tokens_in = sum(it.tokens_in for it in items)
        tokens_out = sum(it.tokens_out for it in items)
        spent = sum(it.cost_usd for it in items)
        done = [it for it in items if it.status == "validated"]
        answered = sum(it.tokens_in for it in done), sum(it.tokens_out for it in done)
    totals = _totals(
        config, items, tokens_in, tokens_out, spent, estimated=False, answered=answered
    )
    return RunReport(
        milestone.number,
        milestone.title,
        items,
        totals,
        run_id=run.run_id,
        checklist_source="model/deterministic" if milestone.generated else "plan",
    )


def _totals(
    config: MomConfig,
    items: list[ItemReport],
    tokens_in: int,
    tokens_out: int,
    spent: float,
    *,
    estimated: bool,
    answered: tuple[int, int] | None = None,
) -> Totals:
    """`answered`: the tokens savings are priced on (see ledger.report.answered_tokens);
    an estimate prices every planned token."""
    counts: dict[str, int] = {}
    for it in items:
        counts[it.status] = counts.get(it.status, 0) + 1
    ran = [it for it in items if it.attempts > 0]
    handled_locally = [it for it in ran if it.status == "validated" and it.tier in LOCAL_TIERS]
    top = config.top_tier_model()
    baseline = top.cost_usd(*(answered or (tokens_in, tokens_out))) if top else 0.0
    return Totals(
        items=len(items),
        counts=counts,
        escalation_rate=round(sum(it.escalated for it in ran) / len(ran), 4) if ran else 0.0,
        local_handling_rate=round(len(handled_locally) / len(ran), 4) if ran else 0.0,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost_usd=round(spent, 6),
        baseline_model=top.model_id if top else "",
        baseline_cost_usd=round(baseline, 6),
        savings_usd=round(baseline - spent, 6),
        estimated=estimated,
    )


def plan_report(
    repo: Path,
    config: MomConfig,
    caller: ModelCaller,
    milestone: Milestone,
    drafted: Checklist | None,
) -> RunReport:
    """Dry run: the planned (cheapest usable) tier per open item and estimated tokens/$."""
    items: list[ItemReport] = []
    notes: list[str] = []
    tokens_in = tokens_out = 0
    spent = 0.0
    ladder = rungs(config)
    for item in milestone.items:
        if item.done:
            items.append(
                ItemReport(item.index, item.text, "done", list(item.depends_on), "", "", 0, 0.0)
            )
            continue
        tier, model, unusable = "", "", []
        for rung, models in ladder:
            usable = [m for m in models if caller.availability(m).ok]
            if usable:
                tier, model = rung, usable[0]
                break
            unusable.append(rung)
        est_in = est_out = 0
        cost = 0.0
        if model:
            cfg = config.models[model]
            context = targeted_context(repo, item.text)
            request = build_request(
                item.text,
                context,
                small=cfg.context_window < SMALL_CONTEXT,
                milestone_title=milestone.title,
            )
            est_in = sum(len(m.content) for m in request.messages) // 4
            est_out = min(request.max_tokens, 300)
            cost = cfg.cost_usd(est_in, est_out)
        diagnosis = f"no usable tier ({', '.join(unusable)})" if not model else ""
        items.append(
            ItemReport(
                item.index,
                item.text,
                "planned",
                list(item.depends_on),
                tier,
                model,
                0,
                round(cost, 6),
                est_in,
                est_out,
                0.0,
                diagnosis,
            )
        )
        tokens_in += est_in
        tokens_out += est_out
        spent += cost
    if drafted is not None:
        notes.append(
            f"checklist generated ({drafted.source}); not written in a dry run"
            + (f": {drafted.note}" if drafted.note else "")
        )
    totals = _totals(config, items, tokens_in, tokens_out, spent, estimated=True)
    source = drafted.source if drafted else "plan"
    return RunReport(
        milestone.number,
        milestone.title,
        items,
        totals,
        dry_run=True,
        checklist_source=source,
        notes=notes,
    )
