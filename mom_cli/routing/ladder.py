"""Escalation: run one step up a ladder of (tier, model) rungs until an attempt passes.

`climb` is the single retry loop shared by `mom run`, `mom fix-build` and `mom milestone`.
The caller supplies `attempt(rung, feedback)`, which makes the call, applies and validates
the result, and returns an AttemptResult. climb decides what happens next from the
outcome, and for errors from the error's `action` (mom_cli.errors):

    passed                  → done
    validation failed       → next tier up, with the diagnostics fed back
    Action.RETRY            → same tier on another model/endpoint if one is left, else up
    Action.COOL_DOWN        → that model is benched for this climb; as RETRY
    Action.ESCALATE         → next tier up
    Action.STOP             → re-raised (budget stop, config error): nothing more is tried

With `retry_free_when_stuck`, a check that failed on a $0 attempt with no higher rung
left (nothing above is usable here, e.g. no API key) is retried on the same rung with the
failure fed back: it costs nothing, and a small model's sampled replies differ from try
to try, until it fails twice in a row with the same diagnostics. A paid attempt never
gets an extra same-tier retry.

At most 1 + max_retries attempts are made. Every attempt is recorded with its tier,
model, diagnostics, tokens and cost, and reported through events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mom_cli.errors import Action, MomError
from mom_cli.events import AttemptFailed, Escalated, EventSink, Notice, TaskRouted, null_sink
from mom_cli.providers.base import Completion


@dataclass(frozen=True)
class Rung:
    tier: str
    model: str  # key of config.models; "" for the rules tier


@dataclass(frozen=True)
class Assist:
    """A $0 helper (a rule) whose edits are part of a passing attempt's kept result."""

    tier: str
    model: str  # the rule's name
    share: float  # its share of the step's result, 0..1


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt produced. `diagnostics` explain a failed check, one per line."""

    ok: bool
    output: str = ""
    diagnostics: tuple[str, ...] = ()
    completion: Completion | None = None
    cost_usd: float | None = None  # defaults to the completion's cost
    data: Any = None  # anything the caller wants back (edits, validation report …)
    assists: tuple[Assist, ...] = ()  # rules that repaired this attempt's edit

    @property
    def spent(self) -> float:
        if self.cost_usd is not None:
            return self.cost_usd
        return self.completion.cost_usd if self.completion else 0.0


@dataclass(frozen=True)
class AttemptRecord:
    tier: str
    model: str
    ok: bool
    diagnostics: tuple[str, ...] = ()
    error: str = ""  # error class name when the attempt raised
    action: str = ""  # what climb did next: "" | retry | cool_down | escalate
    cost_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: float = 0.0
    endpoint: str = ""


@dataclass(frozen=True)
class Feedback:
    """Given to each attempt: what went wrong before, to put in the next prompt."""

    attempt: int  # 0 for the first attempt
    previous: tuple[AttemptRecord, ...] = ()

    @property
    def diagnostics(self) -> tuple[str, ...]:
        return self.previous[-1].diagnostics if self.previous else ()

    def as_prompt(self, limit: int = 20) -> str:
        if not self.previous:
            return ""
        lines = ["", "A previous attempt failed. Fix these problems:"]
        for record in self.previous[-2:]:
            head = f"- {record.tier}/{record.model}: {record.error or 'check failed'}"
            lines.append(head)
            lines += [f"  {d}" for d in record.diagnostics[:limit]]
        return "\n".join(lines)


@dataclass
class ClimbResult:
    ok: bool
    result: AttemptResult | None
    attempts: list[AttemptRecord] = field(default_factory=list)
    stopped: str = ""  # why climbing ended without success
    skipped: list[str] = field(default_factory=list)  # rungs passed by, and why

    @property
    def cost_usd(self) -> float:
        return sum(a.cost_usd for a in self.attempts)

    @property
    def final(self) -> AttemptRecord | None:
        return self.attempts[-1] if self.attempts else None


AttemptFn = Callable[[Rung, Feedback], Awaitable[AttemptResult]]
OutcomeHook = Callable[[Rung, bool], None]
VerdictHook = Callable[[int, str], None]  # (ledger row id, "validated" | "failed_validation")
SkipHook = Callable[[Rung], str]  # a reason to pass the rung by, or ""


async def climb(
    rungs: Sequence[Rung],
    attempt: AttemptFn,
    *,
    max_retries: int = 3,
    task_id: str = "",
    sink: EventSink = null_sink,
    first_reasons: Sequence[str] = (),
    on_outcome: OutcomeHook | None = None,
    on_verdict: VerdictHook | None = None,
    retry_free_when_stuck: bool = False,
    skip: SkipHook | None = None,
) -> ClimbResult:
    """Try rungs in order until one passes; see the module docstring for the policy.

    `skip(rung)` returning a reason passes that rung by without a call (the caller's
    record says it will not help: climb once)."""
    out = ClimbResult(ok=False, result=None)
    if not rungs:
        out.stopped = "no usable model on the ladder"
        return out
    benched: set[str] = set()
    index = 0
    budget = 1 + max(0, max_retries)
    why_next = "escalation"
    while index < len(rungs) and len(out.attempts) < budget:
        rung = rungs[index]
        why_not = skip(rung) if skip is not None else ""
        if why_not:
            out.skipped.append(f"{rung.tier}/{rung.model}: {why_not}")
            sink(Notice(f"{task_id}: skipping {rung.tier}/{rung.model}: {why_not}"))
            index = _next_index(rungs, index, same_tier=True, benched=benched)
            continue
        reasons = tuple(first_reasons) if not out.attempts else (why_next,)
        sink(TaskRouted(task_id, rung.tier, rung.model, reasons))
        feedback = Feedback(len(out.attempts), tuple(out.attempts))
        try:
            result = await attempt(rung, feedback)
        except MomError as exc:
            if exc.action == Action.STOP:
                raise
            action = "escalate" if exc.action == Action.ESCALATE else str(exc.action)
            if exc.action == Action.COOL_DOWN:
                benched.add(rung.model)
            out.attempts.append(
                AttemptRecord(rung.tier, rung.model, False, (str(exc),), type(exc).__name__, action)
            )
            reason = f"{type(exc).__name__}: {exc}"
            sink(AttemptFailed(task_id, rung.tier, rung.model, reason))
            same_tier = exc.action in (Action.RETRY, Action.COOL_DOWN)
            why_next = "escalation"
            index = _next_index(rungs, index, same_tier=same_tier, benched=benched)
            _announce(sink, task_id, rung, rungs, index, reason)
            continue
        out.attempts.append(_record(rung, result))
        if on_outcome is not None:
            on_outcome(rung, result.ok)
        if on_verdict is not None and result.completion is not None:
            on_verdict(
                result.completion.ledger_id, "validated" if result.ok else "failed_validation"
            )
        if result.ok:
            out.ok, out.result = True, result
            return out
        out.result = result
        reason = "; ".join(result.diagnostics[:3]) or "check failed"
        sink(AttemptFailed(task_id, rung.tier, rung.model, reason))
        nxt = _next_index(rungs, index, same_tier=False, benched=benched)
        if _repeated(out.attempts):
            out.stopped = f"{rung.tier}/{rung.model} failed the same way twice: {reason}"
            return out
        if retry_free_when_stuck and nxt >= len(rungs) and result.spent == 0:
            nxt, why_next = index, "free retry: no higher tier is usable"
            out.attempts[-1] = replace(out.attempts[-1], action="retry")
        else:
            why_next = "escalation"
        index = nxt
        _announce(sink, task_id, rung, rungs, index, reason)
    if len(out.attempts) >= budget and index < len(rungs):
        out.stopped = f"gave up after {len(out.attempts)} attempts (max_retries={max_retries})"
    elif not out.attempts:
        out.stopped = "every usable rung was skipped: " + "; ".join(out.skipped)
    else:
        out.stopped = f"ladder exhausted at {rungs[-1].tier}"
    return out


def _repeated(attempts: Sequence[AttemptRecord]) -> bool:
    """The last two attempts were the same model failing its check with the same
    diagnostics: a free retry fed that failure back and got it again. The embedded model
    answered "no edit blocks" four times in a row (273 s); a third try rarely differs."""
    if len(attempts) < 2:
        return False
    last, before = attempts[-1], attempts[-2]
    return (
        not last.ok and not before.ok and not last.error and not before.error
        and (last.tier, last.model, last.diagnostics)
        == (before.tier, before.model, before.diagnostics)
    )  # fmt: skip


def _next_index(rungs: Sequence[Rung], index: int, *, same_tier: bool, benched: set[str]) -> int:
    """The next rung to try: a same-tier alternate when allowed, else the next tier up."""
    tier = rungs[index].tier
    for j in range(index + 1, len(rungs)):
        if rungs[j].model in benched:
            continue
        if same_tier or rungs[j].tier != tier:
            return j
    return len(rungs)


def _announce(
    sink: EventSink, task_id: str, rung: Rung, rungs: Sequence[Rung], index: int, reason: str
) -> None:
    if index < len(rungs) and rungs[index].tier != rung.tier:
        sink(Escalated(task_id, rung.tier, rungs[index].tier, reason))


def _record(rung: Rung, result: AttemptResult) -> AttemptRecord:
    comp = result.completion
    return AttemptRecord(
        tier=rung.tier,
        model=rung.model,
        ok=result.ok,
        diagnostics=tuple(result.diagnostics),
        action="" if result.ok else "escalate",
        cost_usd=result.spent,
        input_tokens=comp.input_tokens if comp else 0,
        output_tokens=comp.output_tokens if comp else 0,
        latency_ms=comp.latency_ms if comp else 0.0,
        endpoint=comp.endpoint if comp else "",
    )
