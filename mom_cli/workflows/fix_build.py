"""`mom fix-build`: make the project's own build, tests and lint pass, cheapest tier first.

1. validate the quick stages (syntax, build, lint; no early exit: all diagnostics at once);
2. tier 0, the rules: compiler/linter-driven repairs at $0 (mom_cli.rules.engine) of what
   those stages show, each edit judged by them; then the test suite runs once on the fixed
   tree, reusing the quick result (fix_checks). If the rules' edits broke a test that
   passed on the snapshot of your work, they are rolled back and tried again, each judged
   by the suite. Rules then try what the suite shows (and the strict, unsafe fixes);
3. group what remains by file into independent steps;
4. run the steps in parallel (up to routing.max_concurrent_tasks), each climbing the model
   ladder (routing.ladder.climb) with the diagnostics fed back after a failed attempt;
   the climb stops at the first tier that is unconfigured or unavailable here;
5. validate the whole project again; `passed` only if every stage passes.

Scope (workflows.fix_scope): only failures the recent change introduced are targets:
syntax/build errors, failing tests that pass at the base, lint findings on changed lines.
The rest is debt: reported once, never edited, and it does not fail the run. Tests that
fail at the base too are labelled `preexisting` (validate.head_tests for pytest,
validate.base_runner for any other runner, run at the base).
Rules are checked without the test suite (quick); the suite runs once on the final change:
a fault a rule fixes in milliseconds does not cost the suite twice.

The user's work is snapshotted (git) before anything is touched, and every edit, rule or
model, is a checkpointed step that is rolled back when validation does not improve.
The workflow emits events and returns a result; it never prints.
"""

from __future__ import annotations

import asyncio
import functools
import time
import uuid
from pathlib import Path

from mom_cli.config import RULES_TIER, MomConfig
from mom_cli.edits.checkpoint import CheckpointStore
from mom_cli.errors import BudgetExceededError, MomError
from mom_cli.events import (
    ChangeApplied,
    EventSink,
    Notice,
    TaskFinished,
    TaskStarted,
    null_sink,
)
from mom_cli.ledger.store import Ledger
from mom_cli.providers.base import ModelCaller
from mom_cli.routing.ladder import Rung, climb
from mom_cli.routing.selector import ModelSelector, StepProfile
from mom_cli.rules.engine import (
    Recheck,
    RuleAttempt,
    RulesEngine,
    RulesReport,
    StepApplier,
    diag_key,
)
from mom_cli.rules.steps import CheckpointApplier
from mom_cli.tempdirs import sweep_stale
from mom_cli.validate.base_runner import runner_baseline, runner_failures
from mom_cli.validate.detect import project_files
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.head_tests import HeadBaseline, head_baseline, pytest_selection
from mom_cli.validate.rerun import failing_again
from mom_cli.workflows.climb_policy import ClimbPolicy
from mom_cli.workflows.fix_checks import ProjectChecker, debt_left, is_debt
from mom_cli.workflows.fix_contributions import fix_contributions
from mom_cli.workflows.fix_plan import NO_TIER, code_faults, plan_dry_run
from mom_cli.workflows.fix_report import (
    AttemptInfo,
    FixBuildResult,
    StepReport,
    describe,
    rule_info,
)
from mom_cli.workflows.fix_rules_first import rules_first
from mom_cli.workflows.fix_scope import Scope, UserFiles, changed_lines, find_base
from mom_cli.workflows.fix_steps import plan_steps
from mom_cli.workflows.model_step import (
    FixStep,
    ModelAttempt,
    ProjectState,
)

__all__ = ["AttemptInfo", "FixBuild", "FixBuildResult", "ProjectChecker", "StepReport"]


class FixBuild:
    """One fix-build run. `caller` is the ProviderPool (None: rules only)."""

    def __init__(
        self,
        repo: Path,
        config: MomConfig,
        *,
        caller: ModelCaller | None = None,
        ledger: Ledger | None = None,
        sink: EventSink = null_sink,
        max_tier: str | None = None,
        run_id: str = "",
        checker: ProjectChecker | None = None,
        applier: StepApplier | None = None,
        lint: str = "changed",
    ) -> None:
        self.repo = repo.resolve()
        self.config = config
        self.caller = caller
        self.ledger = ledger
        self.sink = sink
        self.max_tier = max_tier
        self.run_id = run_id or f"fix-build-{uuid.uuid4().hex[:8]}"
        self.checker = checker or ProjectChecker(self.repo, config)
        self.store = CheckpointStore(self.repo)
        self.applier = applier or CheckpointApplier(self.repo, self.store)
        self.selector = ModelSelector(config, caller)
        self.selector.check_max_tier(max_tier)  # a typo fails now, not after the checks
        self.policy = ClimbPolicy(config, ledger)
        self.lint = lint  # "changed" (scope) | "all" (also ruff's safe fixes everywhere)
        self.scope: Scope | None = None
        self.user_files: UserFiles | None = None
        self._engine: RulesEngine | None = None
        self.judge_by_tests = False  # the rules' quick-judged edits broke a test

    # -- the whole loop -------------------------------------------------------------------
    async def run(self, *, dry_run: bool = False) -> FixBuildResult:
        started = time.monotonic()
        result = FixBuildResult(passed=False, dry_run=dry_run, run_id=self.run_id)
        if not dry_run:
            self.store.recover_interrupted()
        await asyncio.to_thread(sweep_stale)  # temp dirs of killed mom runs (tempdirs)
        self.user_files = UserFiles(self.repo)
        self._set_scope(result)
        quick = getattr(self.checker, "quick", None)  # a test's checker may have none
        if quick is not None:
            self.sink(Notice("validating the project with its own toolchain (the tests last)"))
            diags = await asyncio.to_thread(quick)
        else:
            self.sink(Notice("validating the project with its own toolchain"))
            diags = await asyncio.to_thread(self.checker)
        first_debt = [d for d in diags if is_debt(d) and d.stage == "lint"]
        self.checker.narrow_lint = True  # the whole project's debt is known now
        if self.scope is not None:
            self.checker.first_changed = set(changed_lines(self.repo, self.scope.base))
        quick_faults = (  # the rules fix them before the suite runs
            quick is not None
            and not dry_run
            and RULES_TIER in self.config.ladder("default")
            and any(d.severity == "error" for d in diags)
        )
        if quick is not None and not quick_faults:
            diags = await self.run_suite()
        if not quick_faults and self.checker.passed and self.lint != "all":
            result.passed = True
            result.remaining = diags
        elif dry_run:
            result.head = await self._head_baseline(diags)
            diags = self._rescope(diags)
            result.steps = plan_dry_run(self, diags, result)
            result.remaining = diags
            # a plan whose steps are all a rule's needs no model tier (yet): listing the
            # missing keys there read as "this needs a paid model"
            if any(step.tier != RULES_TIER for step in result.steps):
                result.needs = self._rungs()[1]
        else:
            self.store.begin_run(self.run_id, "fix-build")  # `mom undo` reverts it whole
            result.snapshot = self._snapshot()
            state = ProjectState(diags)
            first = await rules_first(self, state, result) if quick_faults else None
            if not _syntax_errors(state.diagnostics):  # else the tests fail by the syntax error
                result.head = await self._base_tests(state)
            rules = RulesReport.joined(first, await self._rules_tier(state))
            result.steps = self._rule_steps(rules)
            if result.head is None:
                result.head = await self._base_tests(state)
            await self._model_tier(state, rules, result)
            await self._final_check(state, rules, result)
            if self.lint == "all":
                await self._lint_all(result)
            if result.passed:
                result.needs = []
            result.contributions = fix_contributions(result.steps, self.config)
        result.debt = self._debt(result.remaining, first_debt)
        result.user_files_edited = self.user_files.edited()
        result.staged_files_edited = self.user_files.staged_edited()
        result.validations = self.checker.runs
        result.seconds = time.monotonic() - started
        return result

    def _snapshot(self) -> str:
        try:
            return self.store.snapshot("mom fix-build: before changes")
        except (MomError, OSError, ValueError) as exc:
            self.sink(
                Notice(f"no git snapshot ({exc}); per-step checkpoints still apply", "warning")
            )
            return ""
        except Exception as exc:  # GitPython raises its own types; never block on a snapshot
            self.sink(
                Notice(f"no git snapshot ({type(exc).__name__}); step checkpoints only", "warning")
            )
            return ""

    async def run_suite(self) -> list[Diagnostic]:
        """The full check after a quick one: the test suite, reusing the quick stages'
        result of the same tree (fix_checks)."""
        self.sink(Notice("running the test suite"))
        return await asyncio.to_thread(self.checker)

    async def _head_baseline(self, diags: list[Diagnostic]) -> HeadBaseline | None:
        """Rerun the failing tests at the base: the pytest ids alone (head_tests), any other
        runner's whole test stage (base_runner); None when nothing fails. A test failing
        there too is out of scope (fix_scope)."""
        base = self.scope.base if self.scope is not None else None
        if base is not None and not base.is_commit and _rerunnable(diags, self.config):
            return HeadBaseline(note=f"the base is {base.label}: no test exists there")
        rev = base.rev if base is not None else "HEAD"
        label = base.label if base is not None else "HEAD"
        head = await self._tests_at(rev, label, diags)
        if head is not None and self.scope is not None:
            self.scope.base_failing_tests = set(head.failing)
        return head

    async def _tests_at(self, rev: str, label: str, diags: list[Diagnostic]) -> HeadBaseline | None:
        """Which of the failing tests of `diags` fail at `rev` too (None: none to rerun)."""
        if not _rerunnable(diags, self.config):
            return None
        configured = bool(self.config.validation.test_command.strip())
        pytest_ids = not configured and any(pytest_selection(diags))
        broken = any(d.stage == "build" and d.severity == "error" for d in diags)
        others = [] if broken else runner_failures(diags)
        self.sink(Notice(f"rerunning the failing tests on a clean export of {label}"))
        timeout = self.config.validation.timeout_seconds
        head = HeadBaseline()
        if pytest_ids:
            head = await asyncio.to_thread(
                head_baseline, self.repo, diags, timeout=timeout, commit=rev,
                idle_after_summary=self.config.validation.idle_after_summary_seconds,
            )  # fmt: skip
        if others:
            last = getattr(self.checker, "last", None)  # a test's checker may keep none
            now_output = last.raw_for("tests") if last is not None else ""
            ran = await asyncio.to_thread(
                runner_baseline, self.repo, diags, self.config.validation, commit=rev,
                now_output=now_output,
            )  # fmt: skip
            head = head.merged(ran)
        if head.note:
            self.sink(Notice(f"base check: {head.note}", "warning"))
        return head

    # -- scope (workflows.fix_scope) ------------------------------------------------------
    def _set_scope(self, result: FixBuildResult) -> None:
        from mom_cli.validate.lint import lint_python_text

        base = find_base(self.repo)
        timeout = self.config.validation.timeout_seconds

        def lint_base(rel: str, text: str) -> list[Diagnostic]:
            return lint_python_text(self.repo, self.repo, rel, text, timeout)

        self.scope = Scope(self.repo, base, base_linter=lint_base)
        self.checker.scope = self.scope
        result.base = base.label
        self.sink(Notice(f"scope: changes since {base.label}, and the working tree"))

    def _debt(self, remaining: list[Diagnostic], first: list[Diagnostic]) -> list[Diagnostic]:
        return debt_left(self.checker, self.scope, remaining, first)

    def _changed(self) -> dict[str, set[int] | None] | None:
        """Lines changed since the base: a failing test's prime suspects (test_trace)."""
        return changed_lines(self.repo, self.scope.base) if self.scope is not None else None

    def _rescope(self, diags: list[Diagnostic]) -> list[Diagnostic]:
        return self.scope.classify(diags) if self.scope is not None else diags

    async def _base_tests(self, state: ProjectState) -> HeadBaseline | None:
        head = await self._head_baseline(state.diagnostics)
        state.diagnostics = self._rescope(state.diagnostics)
        return head

    async def _final_check(
        self, state: ProjectState, rules: RulesReport | None, result: FixBuildResult
    ) -> None:
        """Validate the final change once. When no model touched the tree, the rules
        tier's last full check (tests included) is already that validation."""
        models_ran = any(a.tier != RULES_TIER for s in result.steps for a in s.attempts)
        if rules is not None and rules.fresh and not models_ran:
            result.remaining = self._rescope(rules.remaining)
            result.passed = not any(d.severity == "error" for d in result.remaining)
            return
        self.sink(Notice("re-validating the whole project"))
        check = getattr(self.checker, "reuse_or_check", self.checker)
        result.remaining = await asyncio.to_thread(check)
        result.passed = self.checker.passed

    async def _lint_all(self, result: FixBuildResult) -> None:
        """`--lint all`: ruff's safe fixes over the whole project (fix_lint_all)."""
        from mom_cli.workflows.fix_lint_all import sweep_safe_fixes

        self.sink(Notice("--lint all: ruff's safe fixes over the whole project"))
        await asyncio.to_thread(sweep_safe_fixes, self, result)

    def _recheck(self) -> Recheck:
        """How a new failure is rerun alone (flaky or not), stopping a runner that hangs
        after its summary as the validator does (validate.hang)."""
        idle = self.config.validation.idle_after_summary_seconds
        return functools.partial(failing_again, idle_after_summary=idle)

    # -- tier 0 ---------------------------------------------------------------------------
    def rules_engine(self) -> RulesEngine:
        """One engine per run: what it tried before the suite ran is not tried again."""
        if self._engine is None:
            self._engine = RulesEngine(
                self.repo,
                self.checker,
                self.applier,
                quick_check=getattr(self.checker, "quick", None),
                ledger=self.ledger,
                sink=self.sink,
                run_id=self.run_id,
                project_files=project_files(self.repo),
                recheck=self._recheck(),
            )
        return self._engine

    async def _rules_tier(self, state: ProjectState) -> RulesReport | None:
        if RULES_TIER not in self.config.ladder("default"):
            return None
        self.sink(Notice("tier 0: rules (no model, $0)"))
        engine = self.rules_engine()
        report = await asyncio.to_thread(
            engine.run, state.diagnostics, judge_by_tests=self.judge_by_tests
        )
        state.diagnostics = report.remaining
        return report

    def _rule_steps(self, rules: RulesReport | None) -> list[StepReport]:
        """One summary row per file a rule fixed: tier rules, $0, the rules that did it."""
        if rules is None:
            return []
        steps = []
        for path in dict.fromkeys(a.edited or a.file for a in rules.fixed):
            mine = [a for a in rules.attempts if (a.edited or a.file) == path]
            names = list(dict.fromkeys(a.rule for a in mine if a.outcome == "validated"))
            steps.append(
                StepReport(
                    id=f"rules:{path}",
                    file=path,
                    tier=RULES_TIER,
                    model=", ".join(names),
                    status="fixed",
                    attempts=[rule_info(a) for a in mine],
                    diagnostics=[a.diagnostic for a in mine if a.outcome == "validated"],
                    seconds=sum(a.seconds for a in mine),
                )
            )
        return steps

    # -- the model ladder -----------------------------------------------------------------
    def _rungs(self) -> tuple[list[Rung], list[str]]:
        """Usable rungs up the ladder, and what would be needed beyond them.

        A tier with no usable model is skipped, not the end of the ladder: a user with only
        an Anthropic key (or no local model) still reaches haiku and sonnet. What is needed
        is every unusable tier above the highest usable one."""
        tiers = self.selector.ladder_for(StepProfile(category="code"), self.max_tier)
        rungs: list[Rung] = []
        missing: list[tuple[int, str]] = []
        top = -1
        for index, tier in enumerate(tiers):
            models = sorted(self.config.models_in_tier(tier))
            if not models:
                missing.append(
                    (index, f"{tier}: no model configured for this tier in routing.toml")
                )
                continue
            if self.caller is None:
                return rungs, [f"{tier}: no model caller (rules-only run)"]
            verdicts = {m: self.caller.availability(m) for m in models}
            usable = [m for m in models if verdicts[m].ok]
            if not usable:
                why = "; ".join(f"{m}: {verdicts[m].reason}" for m in models)
                missing.append((index, f"{tier}: {why}"))
                continue
            rungs += [Rung(tier, m) for m in usable]
            top = index
        needed = [why for index, why in missing if index > top]
        if needed:
            return rungs, needed
        above = (
            f"a tier above --max-tier {self.max_tier}"
            if self.max_tier
            else "none: ladder exhausted"
        )
        return rungs, [above]

    async def _model_tier(
        self, state: ProjectState, rules: RulesReport | None, result: FixBuildResult
    ) -> None:
        diags = code_faults(self.repo, state.diagnostics, result)
        steps = plan_steps(diags, self.repo, project_files(self.repo), changed=self._changed())
        if not steps:
            return
        rungs, needs = self._rungs()
        result.needs = needs
        lock = asyncio.Lock()
        limit = asyncio.Semaphore(self.config.routing.max_concurrent_tasks)
        prior = rules.attempts if rules else []

        async def run_one(step: FixStep) -> StepReport:
            async with limit:
                return await self._run_step(step, rungs, state, lock, prior, result)

        # Test failures run one at a time, traced groups first and the largest first: when
        # one root cause also broke what another group exercises, that group's failures
        # are gone by its turn ("resolved"), and no model is asked about them.
        serial = [s for s in steps if s.trace is not None or s.kind == "tests"]
        serial.sort(key=lambda s: (s.trace is None, -len(s.diagnostics)))
        reports = await asyncio.gather(*(run_one(s) for s in steps if s not in serial))
        for step in serial:
            reports.append(await run_one(step))
        result.steps += reports

    async def _run_step(
        self,
        step: FixStep,
        rungs: list[Rung],
        state: ProjectState,
        lock: asyncio.Lock,
        prior: list[RuleAttempt],
        result: FixBuildResult,
    ) -> StepReport:
        started = time.monotonic()
        tried = [rule_info(a) for a in prior if a.file == step.file]
        report = StepReport(
            step.id, step.file, RULES_TIER if tried else NO_TIER, "", "failed",
            attempts=tried,
            diagnostics=[describe(d) for d in step.diagnostics],
            preexisting=result.preexisting_ids(step.diagnostics),
            scope=step.edit_scope or [],
        )  # fmt: skip
        live = {diag_key(d) for d in state.diagnostics}
        if not any(diag_key(d) in live for d in step.diagnostics):
            report.status = "resolved"
            return report
        self.sink(TaskStarted(step.id, f"fix {step.file} ({len(step.diagnostics)} diagnostics)"))
        if not rungs:
            report.status = "failed"
            self.sink(TaskFinished(step.id, "failed", "no usable model tier"))
            return report
        attempt = ModelAttempt(
            step, self.repo, self.caller, self.applier, self.checker, lock,  # type: ignore[arg-type]
            run_id=self.run_id, state=state,
            windows={n: m.context_window for n, m in self.config.models.items()},
            recheck=self._recheck(),
        )  # fmt: skip
        try:
            climbed = await climb(
                rungs, attempt, max_retries=self.config.routing.max_retries,
                task_id=step.id, sink=self.sink, first_reasons=("fix-build step",),
                on_verdict=self.ledger.set_outcome if self.ledger is not None else None,
                on_outcome=self.policy.observer(step.kind), skip=self.policy.skipper(step.kind),
            )  # fmt: skip
        except BudgetExceededError as exc:
            result.budget_stopped = True
            result.needs = [f"budget: {exc}"]
            report.status = "stopped"
            self.sink(TaskFinished(step.id, "cancelled", str(exc)))
            return report
        for rec in climbed.attempts:
            report.attempts.append(
                AttemptInfo(
                    rec.tier,
                    rec.model,
                    rec.ok,
                    list(rec.diagnostics),
                    rec.cost_usd,
                    rec.input_tokens,
                    rec.output_tokens,
                    rec.error,
                    rec.endpoint,
                )  # fmt: skip
            )
        report.skipped = climbed.skipped
        last = climbed.final
        if last is not None:
            report.tier, report.model = last.tier, last.model
        report.status = "fixed" if climbed.ok else "failed"
        report.seconds = time.monotonic() - started
        if climbed.ok and attempt.kept:
            self.sink(ChangeApplied(step.id, attempt.kept[0], (step.file,)))
        self.sink(TaskFinished(step.id, "passed" if climbed.ok else "failed", climbed.stopped))
        return report


def _syntax_errors(diags: list[Diagnostic]) -> bool:
    return any(d.stage == "syntax" and d.severity == "error" for d in diags)


def _rerunnable(diags: list[Diagnostic], config: MomConfig) -> bool:
    """Failing tests that can be rerun elsewhere: pytest ids, or another runner's failures
    (with a build error the tests did not run: there is nothing to compare)."""
    configured = bool(config.validation.test_command.strip())
    if not configured and any(pytest_selection(diags)):
        return True
    broken = any(d.stage == "build" and d.severity == "error" for d in diags)
    return not broken and bool(runner_failures(diags))
