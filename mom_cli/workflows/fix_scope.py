"""What fix-build may touch: the failures the recent change introduced, nothing else.

The recent change is everything since a **base**: the merge-base with the upstream branch
when there is one, else HEAD~1 (so a broken last commit, the common red-CI case, is in
scope), else the empty tree (a repo with one commit, or none). The working tree (staged,
unstaged, untracked-not-ignored) counts as changed too.

In scope: syntax and build errors; failing tests, except those that fail at the base too
(but not a test a missing package keeps from running: it checked nothing, then or now);
lint findings on changed lines, and, in a changed Python file, findings that its base
version did not have (deleting an import's last use makes the import unused on a line
nobody touched; other languages have no per-file base lint). Everything else is
**debt**: reported once, downgraded to "info" so that neither rules nor models target it,
and it does not fail the run.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from mom_cli.validate.bail import bail_reason
from mom_cli.validate.detect import language_of
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.failure_keys import BASE_FAILING_NOTE, failure_key
from mom_cli.validate.lint_baseline import Key, finding_key
from mom_cli.validate.missing_packages import failures_of, missing_packages

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree
DEBT_NOTE = " (debt outside the change; not in scope)"
_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)
BaseLinter = Callable[[str, str], list[Diagnostic]]  # (path, base text) -> lint findings


@dataclass(frozen=True)
class Base:
    """The commit (or the empty tree) the recent change is measured from."""

    rev: str
    label: str  # for the summary: "HEAD~1 (1a2b3c4)", "merge-base with origin/main (…)"

    @property
    def is_commit(self) -> bool:
        return self.rev != EMPTY_TREE


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False)


def _out(repo: Path, *args: str) -> str | None:
    proc = _git(repo, *args)
    return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else None


def find_base(repo: Path) -> Base:
    """merge-base with @{upstream} → HEAD~1 → the empty tree (see the module docstring)."""
    head = _out(repo, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    if head is None:
        return Base(EMPTY_TREE, "the empty tree (no commit yet)")
    upstream = _out(repo, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")
    if upstream:
        merge_base = _out(repo, "merge-base", "HEAD", "@{upstream}")
        if merge_base:
            return Base(merge_base, f"merge-base with {upstream} ({merge_base[:7]})")
    parent = _out(repo, "rev-parse", "--verify", "-q", "HEAD~1^{commit}")
    if parent:
        return Base(parent, f"HEAD~1 ({parent[:7]})")
    return Base(EMPTY_TREE, "the empty tree (HEAD is the first commit)")


def untracked_files(repo: Path) -> list[str]:
    out = _git(repo, "ls-files", "-z", "--others", "--exclude-standard").stdout
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def changed_lines(repo: Path, base: Base) -> dict[str, set[int] | None]:
    """File → the working tree's line numbers changed since `base` (None: the whole file,
    e.g. untracked or new). Deleted lines mark their neighbours, where a finding lands."""
    proc = _git(repo, "diff", "-U0", "--no-color", "--no-ext-diff", "--no-renames", base.rev)
    changed: dict[str, set[int] | None] = {}
    for chunk in re.split(rb"^diff --git ", proc.stdout, flags=re.MULTILINE)[1:]:
        path = _new_path(chunk)
        if path is None:
            continue
        if re.search(rb"^--- /dev/null$", chunk, re.MULTILINE):
            changed[path] = None
            continue
        lines: set[int] = set()
        for match in _HUNK.finditer(chunk):
            start, count = int(match.group(1)), int(match.group(2) or b"1")
            lines.update(range(start, start + count) if count else (start, start + 1))
        changed[path] = lines
    for path in untracked_files(repo):
        changed[path] = None
    return changed


def _new_path(chunk: bytes) -> str | None:
    match = re.search(rb"^\+\+\+ b/(.*)$", chunk, re.MULTILINE)
    if match is None:
        return None  # deleted file, or a mode-only change: no line of it to lint
    return match.group(1).decode("utf-8", "surrogateescape")


def dirty_files(repo: Path) -> list[str]:
    """The user's uncommitted work: staged, unstaged and untracked files (vs HEAD)."""
    out = _git(repo, "status", "--porcelain", "-z", "--untracked-files=all").stdout
    files: list[str] = []
    entries = out.decode("utf-8", "surrogateescape").split("\0")
    skip = False
    for entry in entries:
        if skip:
            skip = False
            continue
        if len(entry) < 4:
            continue
        status, path = entry[:2], entry[3:]
        if "R" in status or "C" in status:
            skip = True  # the next field is the rename's source
        files.append(path)
    return sorted(set(files))


def base_blob(repo: Path, base: Base, path: str) -> str | None:
    if not base.is_commit:
        return None
    proc = _git(repo, "cat-file", "blob", f"{base.rev}:{path}")
    return proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else None


@dataclass
class Scope:
    """Classifies each validation's diagnostics as in scope or debt (see the docstring)."""

    repo: Path
    base: Base
    base_failing_tests: set[str] = field(default_factory=set)
    lint_all: bool = False  # `--lint all`: every lint finding is in scope
    base_linter: BaseLinter | None = None
    _base_lint: dict[str, Counter[Key]] = field(default_factory=dict)
    debt: list[Diagnostic] = field(default_factory=list)  # from the latest classify()

    def classify(self, diags: Sequence[Diagnostic]) -> list[Diagnostic]:
        """`diags` with everything out of scope downgraded to "info" and labelled."""
        changed = changed_lines(self.repo, self.base)
        budget = self._budgets(diags, changed)
        unrun = failures_of(missing_packages(diags, self.repo))  # never base debt
        out, debt = [], []
        for d in diags:
            why = "" if id(d) in unrun else self._out_of_scope(d, changed, budget)
            if why and d.severity != "info":
                d = replace(d, severity="info", message=d.message + why)
                debt.append(d)
            out.append(d)
        self.debt = debt
        return out + self._hidden_by_bail(out)

    def _hidden_by_bail(self, diags: Sequence[Diagnostic]) -> list[Diagnostic]:
        """A run that stops at its first failure, when every failure it showed was there at
        the base: the tests after it did not run, so the change is not checked (bail)."""
        tests = [d for d in diags if d.stage == "tests" and d.tool == "npm"]
        if not tests or any(d.severity == "error" for d in tests):
            return []
        if not any(d.message.endswith(BASE_FAILING_NOTE) for d in tests):
            return []
        why = bail_reason(self.repo)
        if not why:
            return []
        message = (
            f"tests after the first failure did not run ({why}), and it fails at the "
            "base too: this change is unchecked"
        )
        return [Diagnostic("tests", "", 0, message, "error", 0, "", "npm")]

    def _out_of_scope(
        self, d: Diagnostic, changed: dict[str, set[int] | None], budget: Counter[Key]
    ) -> str:
        if d.stage == "tests":
            return BASE_FAILING_NOTE if failure_key(d) in self.base_failing_tests else ""
        if d.stage != "lint" or not d.file or self.lint_all or d.code == "syntax":
            return ""
        if d.file not in changed:
            return DEBT_NOTE
        lines = changed[d.file]
        if lines is None or d.line in lines:
            return ""
        if language_of(d.file) != "python":
            # no base linter for it (clippy, eslint need the whole project at the base):
            # what cannot be shown new is not the change's (strsim-rs: clippy's fixes
            # rewrote two untouched functions of a file the change touched)
            return DEBT_NOTE
        key = finding_key(d)
        if budget[key] > 0:
            budget[key] -= 1
            return DEBT_NOTE
        return ""  # new since the base, on a line the change did not touch

    def _budgets(
        self, diags: Sequence[Diagnostic], changed: dict[str, set[int] | None]
    ) -> Counter[Key]:
        """Counts of the findings each changed file's base version had (for findings on
        unchanged lines). Cached per file: the base does not move during a run."""
        budget: Counter[Key] = Counter()
        files = {
            d.file
            for d in diags
            if d.stage == "lint" and d.file and changed.get(d.file) is not None
        }
        for path in sorted(files):
            if path not in self._base_lint:
                self._base_lint[path] = self._lint_base(path)
            budget.update(self._base_lint[path])
        return budget

    def _lint_base(self, path: str) -> Counter[Key]:
        text = base_blob(self.repo, self.base, path)
        if text is None or self.base_linter is None:
            return Counter()
        return Counter(finding_key(d) for d in self.base_linter(path, text))


def debt_summary(debt: Iterable[Diagnostic], limit: int = 8) -> str:
    """One line: how much debt and where ("54 lint findings in 4 files: a.py (30), …")."""
    items = [d for d in debt if d.stage == "lint"]
    if not items:
        return ""
    per_file = Counter(d.file or "(project)" for d in items)
    shown = ", ".join(f"{f} ({n})" for f, n in per_file.most_common(limit))
    more = f", … {len(per_file) - limit} more" if len(per_file) > limit else ""
    return f"{len(items)} lint finding(s) in {len(per_file)} file(s): {shown}{more}"


class UserFiles:
    """The user's uncommitted files at the start of a run, to name those mom then edited."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.before = {path: self._read(path) for path in dirty_files(repo)}
        staged = _git(repo, "diff", "--cached", "--name-only", "-z").stdout
        self.staged = set(staged.decode("utf-8", "surrogateescape").split("\0")) - {""}

    def _read(self, path: str) -> bytes | None:
        try:
            return (self.repo / path).read_bytes()
        except OSError:
            return None

    def edited(self) -> list[str]:
        """The user's dirty files whose bytes mom changed during the run."""
        return sorted(p for p, data in self.before.items() if self._read(p) != data)

    def staged_edited(self) -> list[str]:
        """Edited files the user had staged: mom fixes the work tree, never the index, so
        `git commit` would take the staged, unfixed version until they are added again."""
        return [p for p in self.edited() if p in self.staged]
