"""The four-stage validator: syntax → (review) → build → tests → lint, early exit.

Three entry points, one engine:
    validate_paths(repo, paths, config=...)    the files a step changed
    validate_project(repo, config=...)         everything (fix-build's first and last run)
    validate_staged(repo, config=...)          the index only (the pre-commit hook): the
                                               staged blobs are exported to a temp tree,
                                               so unstaged work is never read or touched
The optional review stage takes a callable so this package never imports a provider:
`reviewer(diff) -> (score 0..1, reason)`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from mom_cli import sandbox_fs
from mom_cli.config import ValidationSection
from mom_cli.tempdirs import temp_dir
from mom_cli.validate.build import run_build_stage
from mom_cli.validate.detect import detect_project
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.lint import run_lint_stage
from mom_cli.validate.result import StageContext, StageResult, ValidationResult
from mom_cli.validate.syntax import run_syntax_stage
from mom_cli.validate.tests import run_tests_stage

Reviewer = Callable[[str], tuple[float, str]]
STAGES = ("syntax", "review", "build", "tests", "lint")
_RUNNERS: dict[str, Callable[[StageContext], StageResult]] = {
    "syntax": run_syntax_stage,
    "build": run_build_stage,
    "tests": run_tests_stage,
    "lint": run_lint_stage,
}


def enabled_stages(config: ValidationSection, *, tests: bool | None = None) -> list[str]:
    """Stage names switched on by config (`tests` overrides enable_test_execution)."""
    on = {
        "syntax": config.enable_syntax_check,
        "review": config.local_model_review,
        "build": config.enable_build_check,
        "tests": config.enable_test_execution if tests is None else tests,
        "lint": config.enable_lint_check,
    }
    return [name for name in STAGES if on[name]]


def run_validation(
    root: Path,
    files: Sequence[str] | None,
    *,
    config: ValidationSection,
    repo: Path | None = None,
    stages: Sequence[str] | None = None,
    reviewer: Reviewer | None = None,
    diff: str | None = None,
    early_exit: bool = True,
    staged: bool = False,
    lint_baseline: bool = True,
    lint_files: Sequence[str] | None = None,
    lint_base: str | None = None,
) -> ValidationResult:
    """Run `stages` (default: enabled by config) over `files` under `root`.

    `files=None` validates the whole project. `early_exit=False` runs every stage even
    after a failure (fix-build wants all diagnostics at once). `lint_baseline=False` keeps
    lint findings HEAD already has as errors (fix-build scopes them itself, from its base);
    `lint_files` narrows the lint stage to those files (fix-build: the changed ones).
    `lint_base` (mom run: its pre-run snapshot) counts only the lint findings the change
    added since that revision, whoever configured the linter.
    """
    repo = (repo or root).resolve()
    root = root.resolve()
    rels = None if files is None else sorted(dict.fromkeys(_rel(root, f) for f in files))
    ctx = StageContext(
        root, repo, rels, detect_project(root, rels), config, staged, lint_baseline,
        None if lint_files is None else list(lint_files), lint_base,
    )  # fmt: skip
    wanted = list(stages) if stages is not None else enabled_stages(config)
    results: list[StageResult] = []
    not_run: list[str] = []
    for name in [s for s in STAGES if s in wanted]:
        if early_exit and results and not results[-1].passed:
            not_run.append(name)
            continue
        if name == "review":
            if reviewer is None:
                continue  # review needs a model; without one the stage is simply absent
            results.append(_review(ctx, reviewer, diff))
        else:
            results.append(_RUNNERS[name](ctx))
    return ValidationResult(all(s.passed for s in results), results, rels, not_run)


def validate_paths(
    repo: Path, paths: Sequence[str | Path], *, config: ValidationSection, **kw: object
) -> ValidationResult:
    """Validate the files a change touched (repo-relative or absolute paths)."""
    return run_validation(repo, [str(p) for p in paths], config=config, **kw)  # type: ignore[arg-type]


def validate_project(repo: Path, *, config: ValidationSection, **kw: object) -> ValidationResult:
    """Validate the whole project: every source file, the full test suite."""
    return run_validation(repo, None, config=config, **kw)  # type: ignore[arg-type]


def validate_staged(
    repo: Path,
    *,
    config: ValidationSection,
    tests: bool | None = None,
    reviewer: Reviewer | None = None,
) -> ValidationResult:
    """Validate exactly what `git commit` would record, in a temp copy of the index.

    `tests=None` follows `validation.hook_run_tests`. The user's work tree is only read
    by git to find the index; nothing in it is written.
    """
    repo = repo.resolve()
    files = staged_files(repo)
    stages = enabled_stages(config, tests=config.hook_run_tests if tests is None else tests)
    if reviewer is not None and "review" not in stages:
        stages.append("review")  # a reviewer is passed only when the hook may use a model
    if not files:
        return ValidationResult(True, [], [])
    with exported_index(repo) as tree, sandbox_fs.also_protecting(repo):
        diff = _git(repo, "diff", "--cached") if reviewer is not None else None
        result = run_validation(
            tree,
            files,
            config=config,
            repo=repo,
            stages=stages,
            reviewer=reviewer,
            diff=diff,
            staged=True,
        )
    if "tests" not in stages and config.enable_test_execution and tests is None:
        _say_tests_off(result)
    return result


def _say_tests_off(result: ValidationResult) -> None:
    """A staged check without tests must say so: "validation passed" with no tests row read
    as if they had run (itsdangerous: a commit failing two tests went through)."""
    off = StageResult(
        "tests", passed=True, skipped=True,
        note="not run on staged content: set validation.hook_run_tests = true to run them",
    )  # fmt: skip
    order = {name: i for i, name in enumerate(STAGES)}
    result.stages = sorted([*result.stages, off], key=lambda s: order.get(s.name, len(order)))


def staged_files(repo: Path) -> list[str]:
    """Added, copied, modified or renamed paths in the index (all of it before the first commit)."""
    has_head = (
        subprocess.run(
            ["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=repo, capture_output=True
        ).returncode
        == 0
    )
    if has_head:
        out = _git(
            repo, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR", "--no-renames"
        )
    else:
        out = _git(repo, "ls-files", "-z", "--cached")
    return [name for name in out.split("\0") if name]


@contextlib.contextmanager
def exported_index(repo: Path, commit: str | None = None) -> Iterator[Path]:
    """A temp folder holding every file as staged (`git checkout-index`), plus links to the
    repo's node_modules so JS tools resolve; removed afterwards.

    With `commit` (e.g. "HEAD"), that commit's files instead: read into a throwaway index
    (GIT_INDEX_FILE), so the user's index and work tree are never touched. Unlike
    `git archive`, this ignores `export-ignore`, which often drops a project's tests."""
    with temp_dir("staged") as tmp:
        tree = Path(tmp) / "tree" if commit else Path(tmp)
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")} if commit else None
        if commit:
            git = ["git", "read-tree", commit]
            subprocess.run(git, cwd=repo, env=env, check=True, capture_output=True)
        subprocess.run(
            ["git", "checkout-index", "--all", "--force", f"--prefix={tree}/"],
            cwd=repo,
            env=env,
            check=True,
            capture_output=True,
        )
        link_node_modules(repo, tree)
        copy_generated_sources(repo, tree)
        yield tree


def link_node_modules(repo: Path, tree: Path) -> None:
    """The repo's installed packages, linked one by one into the tree's own node_modules,
    so JS tools resolve them. Not the folder itself: tools keep caches in it (esm's
    `.cache/esm`, vite's `.vite`), and one written from the export's files broke the
    user's next `npm test` ("Cannot use import statement outside a module", lukeed/kleur
    with uvu + esm). Dot entries other than `.bin` stay the tree's own."""
    source, target = repo / "node_modules", tree / "node_modules"
    if not source.is_dir() or target.exists() or target.is_symlink():
        return
    target.mkdir()
    for entry in sorted(source.iterdir()):
        if not entry.name.startswith(".") or entry.name == ".bin":
            (target / entry.name).symlink_to(entry)


GENERATED_MAX_FILES = 50
GENERATED_MAX_BYTES = 2_000_000
_NOT_GENERATED = {".venv", "venv", "env", ".tox", ".nox", "node_modules", "site-packages",
                  "__pycache__", ".eggs", "build", "dist", ".mom"}  # fmt: skip


def copy_generated_sources(repo: Path, tree: Path) -> list[str]:
    """Copy into an export the git-ignored Python files the build wrote into the source
    tree (setuptools-scm's or hatch-vcs's `_version.py`): without them the package cannot
    import there, and every test of the export fails to collect. Environments and build
    output are not sources; a file the export already has is never replaced."""
    proc = subprocess.run(
        ["git", "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"],
        cwd=repo,
        capture_output=True,
        check=False,
    )
    copied: list[str] = []
    budget = GENERATED_MAX_BYTES
    for rel in proc.stdout.decode("utf-8", "replace").split("\0"):
        parts = rel.split("/")
        if not rel.endswith(".py") or _NOT_GENERATED.intersection(parts):
            continue
        source, target = repo / rel, tree / rel
        if target.exists() or not source.is_file() or source.is_symlink():
            continue
        size = source.stat().st_size
        if size > budget or len(copied) >= GENERATED_MAX_FILES:
            break
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        budget -= size
        copied.append(rel)
    return copied


def _review(ctx: StageContext, reviewer: Reviewer, diff: str | None) -> StageResult:
    started = time.monotonic()
    text = diff if diff is not None else _worktree_diff(ctx)
    threshold = ctx.config.review_threshold
    try:
        score, reason = reviewer(text)
    except Exception as exc:  # a broken local model must not block the change
        diag = Diagnostic(
            "review", "", 0, f"review unavailable: {exc}", "warning", tool="local model"
        )
        return StageResult("review", True, time.monotonic() - started, [diag], "local model")
    passed = score >= threshold
    diags = (
        []
        if passed
        else [
            Diagnostic(
                "review",
                "",
                0,
                f"review score {score:.2f} < {threshold:.2f}: {reason}",
                "error",
                tool="local model",
            )
        ]
    )
    return StageResult(
        "review",
        passed,
        time.monotonic() - started,
        diags,
        "local model",
        note=f"score {score:.2f} (threshold {threshold:.2f}): {reason}"[:300],
    )


def _worktree_diff(ctx: StageContext) -> str:
    args = ["diff", "HEAD", "--"] + (ctx.files or [])
    try:
        return _git(ctx.root, *args)
    except subprocess.CalledProcessError:
        return ""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True).stdout.decode(
        "utf-8", errors="surrogateescape"
    )


def _rel(root: Path, path: str) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        with contextlib.suppress(ValueError):
            return candidate.resolve().relative_to(root).as_posix()
        return candidate.as_posix()
    return candidate.as_posix().removeprefix("./")
