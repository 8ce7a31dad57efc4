"""fix-build's checks: the whole project validated with its own toolchain, scoped to the
recent change (fix_scope), and what is left as debt.

The quick stages (syntax, build, lint) are remembered by the content of the tree they
judged: a full check of a tree the quick stages already judged runs only the test suite
(fix-build runs the quick stages first, lets the rules fix what they show, then the suite
once on the fixed tree)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path

from mom_cli.config import MomConfig
from mom_cli.validate.detect import project_files
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.failure_keys import BASE_FAILING_NOTE
from mom_cli.validate.pipeline import STAGES, enabled_stages, validate_project
from mom_cli.validate.result import ValidationResult
from mom_cli.workflows.fix_scope import DEBT_NOTE, Scope, changed_lines

QUICK_RESULTS_KEPT = 8  # trees a rule's rollback may return to
LintKey = tuple[str, ...] | None  # the files the lint stage was given (None: all)


class ProjectChecker:
    """Validates the whole project with its own toolchain; keeps the last full result."""

    def __init__(self, repo: Path, config: MomConfig) -> None:
        self.repo = repo
        self.config = config
        self.last: ValidationResult | None = None
        self.current: list[Diagnostic] = []  # the latest full check, scoped
        self.runs = 0  # full checks: the test suite ran (alone, when the rest was known)
        self.quick_runs = 0
        self.reused_quick = 0  # full checks that reused a quick result of the same tree
        self._quick: OrderedDict[tuple[str, LintKey], ValidationResult] = OrderedDict()
        self._hashes: dict[str, tuple[int, int, str]] = {}  # path → (size, mtime, digest)
        self._stamp: tuple[tuple[str, int, int], ...] | None = None
        self.scope: Scope | None = None  # fix_scope: out-of-scope findings become "info"
        self.narrow_lint = False  # lint only the changed files (debt elsewhere is known)
        self.first_changed: set[str] = set()  # changed when the run began (mom may undo it)

    def __call__(self) -> list[Diagnostic]:
        """Every stage. When the quick stages already judged this very tree, only the test
        suite runs and their result is reused."""
        self.runs += 1
        stamp = tree_stamp(self.repo)
        lint_files = self._lint_files()
        quick = self._quick_result(tree_digest(self.repo, self._hashes), lint_files)
        if quick is not None:
            self.reused_quick += 1
            tests = self._validate(["tests"], lint_files) if self._tests_on() else None
            self.last = merged(quick, tests)
        else:
            self.last = self._validate(None, lint_files)
        self._stamp = stamp if stamp == tree_stamp(self.repo) else None
        self.current = self._scoped(self.last.diagnostics)
        return self.current

    def quick(self) -> list[Diagnostic]:
        """Every stage but the tests: how a rule's edit is judged (the suite runs once on
        the final change, not once per autofix)."""
        self.quick_runs += 1
        lint_files = self._lint_files()
        digest = tree_digest(self.repo, self._hashes)
        stages = [s for s in enabled_stages(self.config.validation) if s != "tests"]
        result = self._validate(stages, lint_files)
        if digest == tree_digest(self.repo, self._hashes):  # nothing wrote while it ran
            key = (digest, _lint_key(lint_files))
            self._quick[key] = result
            self._quick.move_to_end(key)
            while len(self._quick) > QUICK_RESULTS_KEPT:
                self._quick.popitem(last=False)
        return self._scoped(result.diagnostics)

    def _validate(self, stages: list[str] | None, lint_files: list[str] | None) -> ValidationResult:
        return validate_project(
            self.repo, config=self.config.validation, early_exit=False, stages=stages,
            lint_baseline=self.scope is None, lint_files=lint_files,
        )  # fmt: skip

    def _tests_on(self) -> bool:
        return "tests" in enabled_stages(self.config.validation)

    def _quick_result(self, digest: str, lint_files: list[str] | None) -> ValidationResult | None:
        """The quick stages' result for this tree: linted with the same files, or with all
        of them (the first check lints the whole project; its debt is scoped as info)."""
        for key in ((digest, _lint_key(lint_files)), (digest, None)):
            if key in self._quick:
                return self._quick[key]
        return None

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


def merged(quick: ValidationResult, tests: ValidationResult | None) -> ValidationResult:
    """One full result from the quick stages' result and the tests' own run."""
    stages = quick.stages + (tests.stages if tests is not None else [])
    stages.sort(key=lambda s: STAGES.index(s.name) if s.name in STAGES else len(STAGES))
    return ValidationResult(all(s.passed for s in stages), stages, quick.files)


def _lint_key(lint_files: list[str] | None) -> LintKey:
    return None if lint_files is None else tuple(sorted(lint_files))


def tree_digest(repo: Path, cache: dict[str, tuple[int, int, str]]) -> str:
    """A hash of every project file's path and content: the same after a rollback that
    restored the bytes (mtimes differ). `cache` skips rehashing files whose size and
    mtime did not change."""
    whole = hashlib.blake2b(digest_size=20)
    for rel in project_files(repo):
        path = repo / rel
        try:
            st = path.stat()
            known = cache.get(rel)
            if known is None or known[:2] != (st.st_size, st.st_mtime_ns):
                known = (st.st_size, st.st_mtime_ns, hashlib.blake2b(path.read_bytes()).hexdigest())
                cache[rel] = known
        except OSError:
            continue
        whole.update(f"{rel}\0{known[2]}\0".encode("utf-8", "surrogateescape"))
    return whole.hexdigest()


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
