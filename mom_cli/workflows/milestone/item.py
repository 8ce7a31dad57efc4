"""One milestone item: targeted context → route → edit → validate → escalate → check off.

Model calls run concurrently across items, but apply → validate → accept-or-roll-back →
tick the checkbox is one critical section (`ItemEnv.apply_lock`): an item's validator must
never see another item's unvalidated edit, and the plan file has a single writer. Every
phase change is saved to the run state *before* the next side effect, which is what lets
`settle_item` put a crashed or interrupted item back to a consistent state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from mom_cli.config import RULES_TIER, MomConfig
from mom_cli.edits.already import already_applied
from mom_cli.edits.apply import apply_edits
from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.checkpoint import CheckpointStore, UndoRefusedError
from mom_cli.errors import EditError, MomError, ProviderError
from mom_cli.events import AttemptFailed, Escalated, EventSink, TaskRouted, null_sink
from mom_cli.ledger.store import Ledger
from mom_cli.providers.base import Completion, CompletionRequest, ModelCaller
from mom_cli.providers.ladder_call import model_tiers, tier_models
from mom_cli.rules.repair import RepairOutcome, repair_after_edit, rules_enabled
from mom_cli.rules.steps import CheckpointApplier
from mom_cli.validate.result import ValidationResult
from mom_cli.workflows.milestone import plan as planfile
from mom_cli.workflows.milestone.prompts import (
    SMALL_CONTEXT,
    ItemContext,
    build_request,
    reply_to_blocks,
    targeted_context,
    test_request,
)
from mom_cli.workflows.milestone.runstate import Attempt, ItemState, RunState

# The four-stage validator, narrowed to what an item needs: (repo, changed files) → result.
Validator = Callable[[Path, list[str]], Awaitable[ValidationResult]]


Hook = Callable[[str, int], None]  # (phase, item index): tests use it to crash mid-item


@dataclass
class ItemEnv:
    repo: Path
    config: MomConfig
    caller: ModelCaller
    validator: Validator
    run: RunState
    plan_path: Path
    store: CheckpointStore
    sink: EventSink = null_sink
    ledger: Ledger | None = None
    test_first: bool = False
    provenance: bool = False
    milestone_title: str = ""
    hook: Hook = lambda phase, index: None
    apply_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class _Outcome:
    ok: bool
    feedback: str = ""
    kind: str = "failed_validation"


def rungs(config: MomConfig, task_type: str = "default") -> list[tuple[str, list[str]]]:
    """(tier, models) in ladder order. `rules` is skipped: rules repair diagnostics, and a
    milestone item starts from a passing build with nothing to repair."""
    ladder = [t for t in config.ladder(task_type) if t != RULES_TIER] or model_tiers(config)
    return [(tier, tier_models(config, tier, "code")) for tier in ladder]


def task_id(run: RunState, index: int) -> str:
    return f"m{run.milestone}.{index}"


async def run_item(
    env: ItemEnv, item: planfile.PlanItem, done_before: tuple[str, ...] = ()
) -> ItemState:
    """Carry one item to validated-and-ticked, or to failed with a diagnosis."""
    st = env.run.item(item.index)
    st.status, st.phase, st.diagnosis = "running", "", ""
    env.run.save()
    began = time.monotonic()
    try:
        await _climb(env, item, st, done_before)
    except asyncio.CancelledError:
        async with env.apply_lock:
            settle_item(env, st, item)
        raise
    finally:
        st.seconds += time.monotonic() - began
        env.run.save()
    return st


async def _climb(
    env: ItemEnv, item: planfile.PlanItem, st: ItemState, done_before: tuple[str, ...]
) -> None:
    """Climb the ladder. A free tier is retried while nothing above it is usable: the
    retry costs nothing, and a small model's sampled replies differ from try to try."""
    limit = 1 + env.config.routing.max_retries
    feedback, last_failure, last_tier = "", "", ""
    context = targeted_context(env.repo, item.text)
    st.files = list(context.files)
    ladder = rungs(env.config)
    usable: dict[str, list[str]] = {}
    why: dict[str, str] = {}
    for tier, models in ladder:
        verdicts = {m: env.caller.availability(m) for m in models}
        usable[tier] = [m for m in models if verdicts[m].ok]
        why[tier] = "; ".join(f"{m}: {v.reason}" for m, v in verdicts.items()) or "no model"
    for pos, (tier, _) in enumerate(ladder):
        if not usable[tier]:
            st.history.append(Attempt(tier, "", "unavailable", why[tier]))
            env.run.save()
            continue
        if st.attempts >= limit:
            break
        if last_tier:
            env.sink(Escalated(task_id(env.run, item.index), last_tier, tier, last_failure[:200]))
        model = usable[tier][0]
        cfg = env.config.models[model]
        small = cfg.context_window < SMALL_CONTEXT
        retry_here = cfg.price_input == cfg.price_output == 0 and not any(
            usable[t] for t, _ in ladder[pos + 1 :]
        )
        while st.attempts < limit:
            outcome = await _attempt(
                env, item, st, tier, model, context, small, "" if small else feedback, done_before
            )
            if outcome.ok:
                return
            feedback, last_tier = outcome.feedback, tier
            last_failure = f"{tier} ({model}) {outcome.kind}: {_first_line(outcome.feedback)}"
            env.sink(AttemptFailed(task_id(env.run, item.index), tier, model, last_failure))
            if not retry_here:
                break
    st.status = "failed"
    needs = _needs(ladder, usable, why, last_tier, st.attempts, limit)
    st.diagnosis = f"{last_failure or 'no tier could run it'}; {needs}"


def _needs(
    ladder: list[tuple[str, list[str]]],
    usable: dict[str, list[str]],
    why: dict[str, str],
    last_tier: str,
    attempts: int,
    limit: int,
) -> str:
    """Name the tier the item would need next, and what stands in its way."""
    tiers = [t for t, _ in ladder]
    above = tiers[tiers.index(last_tier) + 1 :] if last_tier in tiers else tiers
    if not above:
        return "no higher tier left on the ladder"
    nxt = above[0]
    if not usable[nxt]:
        return f"needs {nxt} ({why[nxt]})"
    return f"needs {nxt}: stopped after {attempts} of {limit} attempts (routing.max_retries)"


async def _attempt(
    env: ItemEnv,
    item: planfile.PlanItem,
    st: ItemState,
    tier: str,
    model: str,
    context: ItemContext,
    small: bool,
    feedback: str,
    done_before: tuple[str, ...],
) -> _Outcome:
    tid = task_id(env.run, item.index)
    env.sink(TaskRouted(tid, tier, model, ("cheapest usable tier",)))
    tests: list[EditBlock] = []
    try:
        if env.test_first:
            tests, outcome = await _write_tests(
                env, item, st, tier, model, context, small, feedback
            )
            if not outcome.ok:
                return outcome
            context = _with_tests(context, tests)
        request = build_request(
            item.text,
            context,
            small=small,
            feedback=feedback,
            milestone_title=env.milestone_title,
            done_before=done_before,
        )
        reply = await _call(env, st, tier, model, request, tid)
        blocks = reply_to_blocks(reply.content, context.files)
    except EditError as exc:
        st.history.append(Attempt(tier, model, "edit_error", exc.detail or str(exc)))
        env.run.save()
        return _Outcome(False, exc.detail or str(exc), "edit_error")
    except ProviderError as exc:
        st.history.append(Attempt(tier, model, type(exc).__name__, str(exc)))
        env.run.save()
        return _Outcome(False, str(exc), "provider_error")
    outcome = await _apply_and_validate(env, item, st, tier, model, tests + blocks)
    if env.ledger is not None:
        env.ledger.set_outcome(reply.ledger_id, "validated" if outcome.ok else outcome.kind)
    return outcome


async def _call(
    env: ItemEnv, st: ItemState, tier: str, model: str, request: CompletionRequest, tid: str
) -> Completion:
    st.attempts += 1
    st.tier, st.model = tier, model
    env.run.save()
    reply = await env.caller.complete(request, model=model, run_id=env.run.run_id, task_id=tid)
    st.tokens_in += reply.input_tokens
    st.tokens_out += reply.output_tokens
    st.cost_usd += reply.cost_usd
    if env.ledger is not None:
        known = set(st.ledger_ids)
        st.ledger_ids += [
            r.id
            for r in env.ledger.rows(run_id=env.run.run_id)
            if r.task_id == tid and r.id not in known
        ]
    env.run.save()
    return reply


async def _apply_and_validate(
    env: ItemEnv,
    item: planfile.PlanItem,
    st: ItemState,
    tier: str,
    model: str,
    blocks: list[EditBlock],
) -> _Outcome:
    async with env.apply_lock:
        env.hook("before_edit", item.index)
        if await _already_done(env, item, st, tier, model, blocks):
            return _Outcome(True)
        try:
            record = apply_edits(
                env.repo,
                blocks,
                summary=f"milestone item {item.index}",
                store=env.store,
                snapshot=False,
            )
        except EditError as exc:
            st.history.append(Attempt(tier, model, "edit_error", exc.detail or str(exc)))
            env.run.save()
            return _Outcome(False, exc.detail or str(exc), "edit_error")
        st.current_step, st.phase = record.id, "edited"
        st.steps.append(record.id)
        st.files = list(dict.fromkeys([*st.files, *record.paths]))
        env.run.save()
        env.hook("edited", item.index)
        result = await env.validator(env.repo, record.paths)
        repair = RepairOutcome(False)
        if not result.passed:
            repair = await _repair(env, st, record.paths, result)
            result = repair.result if repair.ok and repair.result is not None else result
        if not result.passed:
            text = "\n".join([result.prompt_text(), *repair.feedback()])
            _roll_back(env, st)
            st.history.append(
                Attempt(
                    tier,
                    model,
                    "failed_validation",
                    text[:2000],
                    st.tokens_in,
                    st.tokens_out,
                    st.cost_usd,
                )
            )
            env.run.save()
            return _Outcome(False, text)
        st.phase, st.repair_steps = "validated", []
        st.diagnosis = untested_note(result)
        helped = f"with rules' help: {', '.join(repair.rules)}" if repair.ok else ""
        st.history += [Attempt(RULES_TIER, a.rule, a.outcome, a.reason) for a in repair.fixed]
        st.history.append(
            Attempt(tier, model, "validated", helped, st.tokens_in, st.tokens_out, st.cost_usd)
        )
        env.run.save()
        env.hook("validated", item.index)
        settle_item(env, st, item)
        env.hook("checked", item.index)
    return _Outcome(True)


async def _already_done(
    env: ItemEnv,
    item: planfile.PlanItem,
    st: ItemState,
    tier: str,
    model: str,
    blocks: list[EditBlock],
) -> bool:
    """The reply's edit is already in place (an earlier item made it) and validates: the
    item is satisfied and ticked, not failed for a SEARCH text that is gone. Caller holds
    the apply lock."""
    paths = already_applied(env.repo, blocks)
    if not paths or not (await env.validator(env.repo, paths)).passed:
        return False
    st.phase = "validated"
    st.history.append(
        Attempt(tier, model, "satisfied", f"already in place: {', '.join(paths)}",
                st.tokens_in, st.tokens_out, st.cost_usd)
    )  # fmt: skip
    env.run.save()
    settle_item(env, st, item)
    return True


async def _repair(
    env: ItemEnv, st: ItemState, paths: list[str], failed: ValidationResult
) -> RepairOutcome:
    """Rules repair mechanical faults in the model's failing edit ($0, ledgered as tier
    "rules"). Their steps are saved in the run state as they happen, so a crash
    mid-repair is rolled back whole by `settle_item`."""
    if not rules_enabled(env.config):
        return RepairOutcome(False)

    def track(steps: list[str]) -> None:
        st.repair_steps = list(steps)
        st.steps += [s for s in steps if s not in st.steps]
        env.run.save()

    return await repair_after_edit(
        env.repo, paths, failed.diagnostics, lambda files: env.validator(env.repo, files),
        CheckpointApplier(env.repo, env.store), ledger=env.ledger, sink=env.sink,
        run_id=env.run.run_id, on_steps=track,
    )  # fmt: skip


async def _write_tests(
    env: ItemEnv,
    item: planfile.PlanItem,
    st: ItemState,
    tier: str,
    model: str,
    context: ItemContext,
    small: bool,
    feedback: str,
) -> tuple[list[EditBlock], _Outcome]:
    """Test-first: the generated tests must run and fail before the item is implemented.

    They are applied, run and rolled back under the apply lock, then re-applied together
    with the implementation as one step, so no other item ever validates against them.
    """
    path = test_path(env.repo, env.run.milestone, item.index)
    request = test_request(item.text, path, context, small=small, feedback=feedback)
    reply = await _call(env, st, tier, model, request, task_id(env.run, item.index))
    blocks = reply_to_blocks(reply.content, (path,))
    async with env.apply_lock:
        record = apply_edits(
            env.repo,
            blocks,
            summary=f"tests for item {item.index}",
            store=env.store,
            snapshot=False,
        )
        st.current_step, st.phase = record.id, "tests"
        st.steps.append(record.id)
        env.run.save()
        try:
            result = await env.validator(env.repo, record.paths)
        finally:
            _roll_back(env, st)
            env.run.save()
    stage = result.failed_stage
    if result.passed:
        why = "the generated tests already pass, so they do not test the item"
    elif stage is not None and stage.name != "tests":
        why = f"the generated tests are broken ({stage.name} stage):\n{result.prompt_text()}"
    else:
        return blocks, _Outcome(True)
    st.history.append(Attempt(tier, model, "bad_tests", why[:2000]))
    env.run.save()
    return [], _Outcome(False, why, "bad_tests")


def test_path(repo: Path, milestone: int, index: int) -> str:
    folder = "tests/" if (repo / "tests").is_dir() else ""
    return f"{folder}test_milestone_{milestone}_item_{index}.py"


def _with_tests(context: ItemContext, tests: list[EditBlock]) -> ItemContext:
    shown = "\n\n".join(
        f"Tests that must pass ({b.path}):\n```python\n{b.replace}```" for b in tests
    )
    return ItemContext(context.files, f"{context.text}\n\n{shown}")


def _roll_back(env: ItemEnv, st: ItemState) -> None:
    """Undo the item's applied, unvalidated step (rule repairs on top of it first, newest
    first). Refuses (loudly) to clobber user edits."""
    for step_id in reversed(st.repair_steps):
        if env.store.load(step_id).status in ("applying", "applied"):
            env.store.rollback(step_id)
    st.repair_steps = []
    if st.current_step:
        record = env.store.load(st.current_step)
        if record.status in ("applying", "applied"):
            env.store.rollback(st.current_step)
    st.current_step, st.phase = "", ""


def settle_item(env: ItemEnv, st: ItemState, item: planfile.PlanItem | None) -> None:
    """Bring an item whose run stopped to a consistent state (also used on the happy path).

    validated → tick the checkbox (its files hold the validated result); an applied but
    unvalidated edit → roll it back; anything earlier → back to pending.
    """
    if st.phase == "validated":
        comment = ""
        if env.provenance:
            comment = planfile.provenance_comment(st.tier, st.model, st.cost_usd)
        target = item or planfile.PlanItem(st.index, st.text, False, tuple(st.depends_on), 0)
        planfile.check_off(env.plan_path, env.run.milestone, target, comment)
        env.hook("checkbox_written", st.index)
        st.phase, st.status, st.current_step = "checked", "validated", ""
    elif st.phase == "checked":
        st.status, st.current_step = "validated", ""
    else:
        try:
            _roll_back(env, st)
        except UndoRefusedError as exc:
            raise MomError(
                f"item {st.index}: cannot roll back its unvalidated edit: {exc}"
            ) from None
        if st.status == "running":
            st.status = "pending"
    env.run.save()


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return " / ".join(lines[:3])[:300]


def untested_note(result: ValidationResult) -> str:
    """Say so when no test judged the item: it passed syntax, build and lint only, and a
    user reading "validated" would otherwise assume it was tested."""
    tests = next((stage for stage in result.stages if stage.name == "tests"), None)
    if tests is not None and not tests.skipped:
        return ""
    why = tests.note if tests is not None and tests.note else "the tests stage did not run"
    return f"validated by syntax, build and lint only: no test covers it ({why})"
