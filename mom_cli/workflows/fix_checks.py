"""fix-build's checks: the whole project validated with its own toolchain, scoped to the
recent change (fix_scope), and what is left as debt."""

from __future__ import annotations

from pathlib import Path

from mom_cli.config import MomConfig
from mom_cli.validate.detect import project_files
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.failure_keys import BASE_FAILING_NOTE
from mom_cli.validate.pipeline import enabled_stages, validate_project
from mom_cli.validate.result import ValidationResult
from mom_cli.workflows.fix_scope import DEBT_NOTE, Scope, changed_lines


class ProjectChecker:
    """Validates the whole project with its own toolchain; keeps the last full result."""

    def __init__(self, repo: Path, config: MomConfig) -> None:
        self.repo = repo
        self.config = config
        self.last: ValidationResult | None = None
        self.current: list[Diagnostic] = []  # the latest full check, scoped
        self.runs = 0
        self.quick_runs = 0
        self._stamp: tuple[tuple[str, int, int], ...] | None = None
        self.scope: Scope | None = None  # fix_scope: out-of-scope findings become "info"
        self.narrow_lint = False  # lint only the changed files (debt elsewhere is known)
        self.first_changed: set[str] = set()  # changed when the run began (mom may undo it)

    def __call__(self) -> list[Diagnostic]:
        self.runs += 1
        stamp = tree_stamp(self.repo)
        self.last = validate_project(
            self.repo, config=self.config.validation, early_exit=False,
            lint_baseline=self.scope is None, lint_files=self._lint_files(),
        )  # fmt: skip
        self._stamp = stamp if stamp == tree_stamp(self.repo) else None
        self.current = self._scoped(self.last.diagnostics)
        return self.current

    def quick(self) -> list[Diagnostic]:
        """Every stage but the tests: how a rule's edit is judged (the suite runs once on
        the final change, not once per autofix)."""
        self.quick_runs += 1
        stages = [s for s in enabled_stages(self.config.validation) if s != "tests"]
        result = validate_project(
            self.repo, config=self.config.validation, early_exit=False, stages=stages,
            lint_baseline=self.scope is None, lint_files=self._lint_files(),
        )  # fmt: skip
        return self._scoped(result.diagnostics)

    def _lint_files(self) -> list[str] | None:
        if self.scope is None or not self.narrow_lint:
            return None
        return sorted(self.first_changed | set(changed_lines(self.repo, self.scope.base)))

    def _scoped(self, diags: list[Diagnostic]) -> list[Diagnostic]:
        return self.scope.classify(diags) if self.scope is not None else diags

    def reuse_or_check(self) -> list[Diagnostic]:
        """The last full result when no project file changed since it was taken (the last
        step's own check), else a fresh validation: the suite is not run twice for
        nothing."""
        if (
            self.last is not None
            and self._stamp is not None
            and self._stamp == tree_stamp(self.repo)
        ):
            return self.current
        return self()

    @property
    def passed(self) -> bool:
        if self.last is None:
            return False
        if self.scope is None:
            return self.last.passed
        return not any(d.severity == "error" for d in self.current)


def tree_stamp(repo: Path) -> tuple[tuple[str, int, int], ...] | None:
    """(path, size, mtime) of every project file: has anything changed since a check?"""
    stamp = []
    for rel in project_files(repo):
        try:
            st = (repo / rel).stat()
        except OSError:
            continue
        stamp.append((rel, st.st_size, st.st_mtime_ns))
    return tuple(stamp)


def is_debt(d: Diagnostic) -> bool:
    return d.message.endswith((DEBT_NOTE, BASE_FAILING_NOTE))


def debt_left(
    checker: ProjectChecker, scope: Scope | None, remaining: list[Diagnostic],
    first: list[Diagnostic],
) -> list[Diagnostic]:  # fmt: skip
    """Debt now, plus the first check's lint debt in files later checks did not lint."""
    now = [d for d in remaining if d.severity == "info" and is_debt(d)]
    if not checker.narrow_lint:
        return now  # the last check linted everything
    linted = {d.file for d in remaining if d.stage == "lint"}
    if scope is not None:
        linted |= set(changed_lines(checker.repo, scope.base))
        linted |= getattr(checker, "first_changed", set())
    return now + [d for d in first if d.file not in linted]
