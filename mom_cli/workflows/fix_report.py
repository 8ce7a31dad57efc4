"""fix-build's report: per-attempt and per-step rows, the run's result, its totals and
its --json document. Plain data, built by the workflow (fix_build) and read by the CLI,
the service layer and the contributions (fix_contributions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mom_cli.config import RULES_TIER
from mom_cli.engine.contributions import ContributionRecord
from mom_cli.errors import ExitCode
from mom_cli.rules.engine import RuleAttempt
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.failure_keys import failure_label
from mom_cli.validate.head_tests import HeadBaseline


@dataclass
class AttemptInfo:
    tier: str
    model: str
    ok: bool
    diagnostics: list[str] = field(default_factory=list)
    cost_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    error: str = ""
    endpoint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "model": self.model,
            "ok": self.ok,
            "diagnostics": self.diagnostics,
            "cost_usd": self.cost_usd,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "error": self.error,
            "endpoint": self.endpoint,
        }


@dataclass
class StepReport:
    id: str
    file: str
    tier: str  # the tier that fixed it, or the last one tried
    model: str
    status: str  # "fixed" | "failed" | "resolved" (by another step) | "stopped" | "planned"
    attempts: list[AttemptInfo] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)
    seconds: float = 0.0
    estimated_cost_usd: float | None = None
    preexisting: list[str] = field(default_factory=list)  # its test ids failing at HEAD
    scope: list[str] = field(default_factory=list)  # files a traced step may edit
    skipped: list[str] = field(default_factory=list)  # rungs passed by (climb once), and why

    @property
    def paid_calls(self) -> int:
        return sum(1 for a in self.attempts if a.cost_usd > 0)

    @property
    def tokens(self) -> int:
        return sum(a.input_tokens + a.output_tokens for a in self.attempts)

    @property
    def cost_usd(self) -> float:
        return sum(a.cost_usd for a in self.attempts)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "file": self.file,
            "tier": self.tier,
            "model": self.model,
            "status": self.status,
            "attempts": [a.to_dict() for a in self.attempts],
            "diagnostics": self.diagnostics,
            "tokens": self.tokens,
            "cost_usd": round(self.cost_usd, 6),
            "seconds": round(self.seconds, 2),
            "preexisting": self.preexisting,
            "paid_calls": self.paid_calls,
            "scope": self.scope,
            "skipped": self.skipped,
        }
        if self.estimated_cost_usd is not None:
            data["estimated_cost_usd"] = round(self.estimated_cost_usd, 6)
        return data


@dataclass
class FixBuildResult:
    passed: bool
    steps: list[StepReport] = field(default_factory=list)
    remaining: list[Diagnostic] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False
    budget_stopped: bool = False
    snapshot: str = ""
    run_id: str = ""
    validations: int = 0
    contributions: list[ContributionRecord] = field(default_factory=list)
    head: HeadBaseline | None = None  # failing tests rerun at the base (None: not needed)
    base: str = ""  # fix_scope.Base.label: what "the recent change" is measured from
    debt: list[Diagnostic] = field(default_factory=list)  # out of scope, left alone
    user_files_edited: list[str] = field(default_factory=list)  # dirty files mom touched
    staged_files_edited: list[str] = field(default_factory=list)  # of those, staged ones
    environment: list[str] = field(default_factory=list)  # what to install (missing_packages)

    def scope_dict(self) -> dict[str, Any]:
        files: dict[str, int] = {}
        for d in self.debt:
            if d.stage == "lint":
                files[d.file] = files.get(d.file, 0) + 1
        return {
            "base": self.base,
            "lint_debt": sum(files.values()),
            "lint_debt_files": files,
            "tests_failing_at_base": sorted(
                {failure_label(d) for d in self.debt if d.stage == "tests"}
            ),
            "user_files_edited": self.user_files_edited,
            "staged_files_edited": self.staged_files_edited,
        }

    def preexisting(self, d: Diagnostic) -> bool:
        """Did this failure already happen at HEAD, before the uncommitted changes?"""
        return self.head is not None and self.head.is_preexisting(d)

    def preexisting_ids(self, diags: list[Diagnostic]) -> list[str]:
        return sorted({failure_label(d) for d in diags if self.preexisting(d)})

    @property
    def exit_code(self) -> int:
        if self.passed:
            return ExitCode.OK
        return ExitCode.BUDGET if self.budget_stopped else ExitCode.FAILED

    def totals(self) -> dict[str, Any]:
        fixed = [s for s in self.steps if s.status == "fixed"]
        return {
            "steps": len(self.steps),
            "fixed": len(fixed),
            "fixed_by_rules": sum(1 for s in fixed if s.tier == RULES_TIER),
            "rule_attempts": sum(1 for s in self.steps for a in s.attempts if a.tier == RULES_TIER),
            "model_attempts": sum(
                1 for s in self.steps for a in s.attempts if a.tier != RULES_TIER
            ),
            "tokens": sum(s.tokens for s in self.steps),
            "cost_usd": round(sum(s.cost_usd for s in self.steps), 6),
            "seconds": round(self.seconds, 2),
            "validations": self.validations,
            **paid_totals(self.steps),
        }

    def to_dict(self) -> dict[str, Any]:
        data = {
            "passed": self.passed,
            "dry_run": self.dry_run,
            "steps": [s.to_dict() for s in self.steps],
            "totals": self.totals(),
            "needs": self.needs,
            "environment": self.environment,
            "remaining": [
                {**d.to_dict(), "preexisting": self.preexisting(d)}
                for d in self.remaining
                if d.severity == "error"
            ],
            "head_baseline": self.head.to_dict() if self.head is not None else None,
            "scope": self.scope_dict(),
            "run_id": self.run_id,
            "snapshot": self.snapshot,
        }
        if not self.dry_run:  # a plan has estimates, not contributions
            data["contributions"] = [c.to_dict() for c in self.contributions]
        return data


def paid_totals(steps: list[StepReport]) -> dict[str, Any]:
    """Paid calls per fixed step and input tokens per paid call: what climbing once and
    function-sized context are for (issue 12)."""
    paid = [a for s in steps for a in s.attempts if a.cost_usd > 0]
    fixed = [s.paid_calls for s in steps if s.status == "fixed" and s.tier != RULES_TIER]
    tokens = sorted(a.input_tokens for a in paid)
    return {
        "paid_calls": len(paid),
        "paid_calls_per_fixed_step": fixed,
        "median_input_tokens_per_paid_call": tokens[len(tokens) // 2] if tokens else 0,
    }


def describe(d: Diagnostic) -> str:
    return f"{d.location()}: [{d.stage}] {d.message[:200]}"


def rule_info(a: RuleAttempt) -> AttemptInfo:
    return AttemptInfo(
        RULES_TIER,
        a.rule,
        a.outcome == "validated",
        [f"{a.file}:{a.line}: {a.diagnostic}", a.reason],
    )
