"""One fix-build step on the model ladder: prompt → edit blocks → apply → validate.

A step is one file's remaining diagnostics (plus, for a failing test, the project modules
the test imports). Each attempt sends the file excerpts, the diagnostics and the edit
format; parses the reply into EditBlocks; applies them atomically as a checkpointed step;
validates; and rolls back on failure so the next rung starts from the same text.
Applying and validating hold one lock: parallel steps must never see each other's
half-checked edits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from mom_cli.edits.containment import resolve_repo_path
from mom_cli.edits.parse import EDIT_FORMAT_PROMPT, parse_edit_blocks
from mom_cli.errors import EditError
from mom_cli.providers.base import CompletionRequest, ModelCaller
from mom_cli.routing.ladder import AttemptResult, Feedback, Rung
from mom_cli.rules.engine import (
    Recheck,
    StepApplier,
    _counted,
    diag_key,
    first_failing_stage,
    without_flaky,
)
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.pyimports import dotted_name, imported_names, is_test_file
from mom_cli.validate.rerun import failing_again
from mom_cli.workflows.trace_targets import Trace

EXCERPT_RADIUS = 12
MAX_EXCERPT_CHARS = 3500
SMALL_FILE_LINES = 80
MAX_FOCUS_LINES = 12  # changed lines an excerpt is centred on, per file
SYSTEM = (
    "You are a careful programmer fixing a failing build. Change only what the "
    "diagnostics require. Answer with edit blocks only."
)
Checker = Callable[[], list[Diagnostic]]


@dataclass
class ProjectState:
    """The project's latest diagnostics, shared by parallel steps (guarded by their lock)."""

    diagnostics: list[Diagnostic]


@dataclass
class FixStep:
    """The unit fix-build hands to the ladder."""

    id: str
    file: str
    diagnostics: list[Diagnostic]
    context_files: list[str] = field(default_factory=list)
    trace: Trace | None = None  # a failing test traced to the code under test (test_trace)
    kind: str = ""  # what is being fixed, for the learner: "tests", "syntax", "lint" …
    focus: dict[str, list[int]] = field(default_factory=dict)  # file → lines the change touched
    changed_notes: list[str] = field(default_factory=list)  # "lib.js: add (lines 1-3)"

    @property
    def files(self) -> list[str]:
        return [self.file, *[f for f in self.context_files if f != self.file]]

    @property
    def edit_scope(self) -> list[str] | None:
        """Files a traced step may edit (None: no limit beyond the repository)."""
        return self.files if self.trace is not None else None


def group_by_file(
    diags: Sequence[Diagnostic], repo: Path, project_files: Sequence[str]
) -> list[FixStep]:
    """Independent steps: one per file with error diagnostics, most severe stage first."""
    by_file: dict[str, list[Diagnostic]] = {}
    for d in diags:
        if d.severity == "error" and d.file and _editable(repo, d.file):
            by_file.setdefault(d.file, []).append(d)
    related = {p: _related(p, items, repo, project_files) for p, items in by_file.items()}
    # A failing test whose module under test has its own diagnostics is that module's
    # problem (a NameError there fails fifty tests): fold the test into the module's step.
    for path in list(by_file):
        owner = next((r for r in related[path] if r in by_file and r != path), None)
        if owner is not None and is_test_file(path):
            by_file[owner] += by_file.pop(path)[:5]
    steps = []
    for n, (path, items) in enumerate(sorted(by_file.items())):
        steps.append(FixStep(f"fix-{n + 1}:{path}", path, items, related.get(path, [])))
    return steps


def _editable(repo: Path, name: str) -> bool:
    """A file in the repo that an edit could change. Tool output is repo code and may name
    any path; a step's prompt carries its file's content to the model, so a diagnostic on
    `~/.aws/credentials` (or `../x`, a symlink out, `.git/config`) is no step."""
    try:
        path, _ = resolve_repo_path(repo, name)
    except EditError:
        return False
    return path.is_file()


def _related(
    path: str, diags: list[Diagnostic], repo: Path, project_files: Sequence[str]
) -> list[str]:
    """For a failing test, the project modules it imports: the bug is usually there."""
    if not is_test_file(path) or not any(d.stage == "tests" for d in diags):
        return []
    try:
        source = (repo / path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    wanted = imported_names(source)
    out = []
    for rel in project_files:
        name = dotted_name(repo, rel)
        if rel.endswith(".py") and not is_test_file(rel) and name and name in wanted:
            out.append(rel)
    return out[:2]


def excerpt(
    text: str, lines: Sequence[int], radius: int = EXCERPT_RADIUS, small: int = SMALL_FILE_LINES
) -> str:
    """The file itself when small, else the windows around `lines` (verbatim, no numbers,
    so a model can copy SEARCH text from it)."""
    all_lines = text.splitlines()
    if len(all_lines) <= small or not any(lines):
        return text[:MAX_EXCERPT_CHARS]
    keep: set[int] = set()
    for line in lines or [1]:
        keep.update(range(max(0, line - 1 - radius), min(len(all_lines), line + radius)))
    out, last = [], -2
    for i in sorted(keep):
        if i != last + 1:
            out.append("...")
        out.append(all_lines[i])
        last = i
    return "\n".join(out)[:MAX_EXCERPT_CHARS]


def build_prompt(
    step: FixStep, repo: Path, feedback: Feedback | None = None, max_chars: int = 0
) -> str:
    """Diagnostics, file excerpts, the edit format and earlier failures; shrunk to fit
    `max_chars` (a small local model's context) by narrowing, then dropping, excerpts.
    A traced step gets the function-sized prompt of trace_prompt instead."""
    if step.trace is not None:
        from mom_cli.workflows.trace_prompt import build_trace_prompt

        return build_trace_prompt(step.trace, step.diagnostics, repo, feedback, max_chars)
    for radius, files, n_diags in (
        (EXCERPT_RADIUS, step.files, 12),
        (4, [step.file], 6),
        (2, [step.file], 3),
    ):
        text = _prompt(step, repo, feedback, radius, files, n_diags)
        if not max_chars or len(text) <= max_chars:
            return text
    return text


def _prompt(
    step: FixStep,
    repo: Path,
    feedback: Feedback | None,
    radius: int,
    files: Sequence[str],
    n_diags: int,
) -> str:
    parts = ["The project's own checks fail. Fix these diagnostics:"]
    parts += [
        f"- {d.location()}: [{d.stage}] {d.message[:240]}" for d in step.diagnostics[:n_diags]
    ]
    if len(step.diagnostics) > n_diags:
        parts.append(f"- … and {len(step.diagnostics) - n_diags} more like these")
    if step.changed_notes:
        parts += ["", "The recent change touched (the likely cause):"]
        parts += [f"- {note}" for note in step.changed_notes]
    for rel in files:
        try:
            text = (repo / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        lines = [d.line for d in step.diagnostics if d.file == rel and d.line]
        lines += step.focus.get(rel, [])[:MAX_FOCUS_LINES]
        small = SMALL_FILE_LINES if radius == EXCERPT_RADIUS else 0
        parts += ["", f"{rel}:", "```", excerpt(text, lines, radius, small), "```"]
    parts += ["", EDIT_FORMAT_PROMPT]
    if feedback is not None and feedback.previous:
        parts.append(feedback.as_prompt(limit=n_diags))
    return "\n".join(parts)


def step_passed(
    before: Sequence[Diagnostic], after: Sequence[Diagnostic], step: FixStep
) -> tuple[bool, list[str]]:
    """The step's diagnostics are gone and the edit introduced nothing new (a later stage
    that now runs may report faults of other files: those are other steps' business)."""
    left = _targets_left(after, step)
    appeared = _counted(after) - _counted(before)
    new = [d for d in after if diag_key(d) in appeared and d.severity == "error"]
    if first_failing_stage(after) > first_failing_stage(before):
        new = [d for d in new if d.file in step.files]
    bad = left + new
    return (not bad, [f"{d.location()}: [{d.stage}] {d.message[:200]}" for d in bad[:20]])


def _targets_left(after: Sequence[Diagnostic], step: FixStep) -> list[Diagnostic]:
    """The step's own diagnostics still reported."""
    targets = {diag_key(d) for d in step.diagnostics}
    return [d for d in after if diag_key(d) in targets and d.severity == "error"]


class ModelAttempt:
    """The `attempt(rung, feedback)` that `routing.ladder.climb` drives for one step."""

    def __init__(
        self,
        step: FixStep,
        repo: Path,
        caller: ModelCaller,
        applier: StepApplier,
        check: Checker,
        lock: asyncio.Lock,
        *,
        run_id: str = "",
        state: ProjectState,
        windows: dict[str, int] | None = None,
        max_tokens: int = 768,
        recheck: Recheck = failing_again,
    ) -> None:
        self.step = step
        self.repo = repo
        self.caller = caller
        self.applier = applier
        self.check = check
        self.lock = lock
        self.run_id = run_id
        self.state = state
        self.windows = windows or {}
        self.max_tokens = max_tokens
        self.recheck = recheck  # reruns new failures alone: flaky ones are not the change's
        self.kept: list[str] = []  # checkpoint ids of the changes that passed, in order

    async def __call__(self, rung: Rung, feedback: Feedback) -> AttemptResult:
        window = self.windows.get(rung.model, 0)
        max_tokens = min(self.max_tokens, window // 4) if window else self.max_tokens
        # ~3 characters per token keeps a conservative margin for code
        budget = max(1000, (window - max_tokens - 64 - len(SYSTEM) // 3) * 3) if window else 0
        prompt = build_prompt(self.step, self.repo, feedback, budget)
        request = CompletionRequest.from_prompt(prompt, system=SYSTEM, max_tokens=max_tokens)
        call = getattr(self.caller, "call", None)  # the pool: records the step's kind too
        if call is not None and self.step.kind:
            completion = await call(
                request,
                model=rung.model,
                run_id=self.run_id,
                task_id=self.step.id,
                category=f"fix:{self.step.kind}",
            )
        else:
            completion = await self.caller.complete(
                request, model=rung.model, run_id=self.run_id, task_id=self.step.id
            )
        try:
            blocks = parse_edit_blocks(completion.content)
        except EditError as exc:
            return AttemptResult(False, completion.content, (exc.detail or str(exc),), completion)
        if not blocks:
            why = "the reply contained no edit blocks (explanations are not applied)"
            return AttemptResult(False, completion.content, (why,), completion)
        scope = self.step.edit_scope
        paths = {str(PurePosixPath(b.path)) for b in blocks}
        outside = sorted(paths - set(scope)) if scope is not None else []
        if outside:
            allowed = ", ".join(scope or [])
            why = f"edits outside this step's scope: {', '.join(outside)} (allowed: {allowed})"
            return AttemptResult(False, completion.content, (why,), completion)
        async with self.lock:
            before = self.state.diagnostics
            try:
                step_id = await asyncio.to_thread(
                    self.applier.apply, blocks, f"{rung.tier}/{rung.model}: {self.step.file}"
                )
            except EditError as exc:
                return AttemptResult(
                    False, completion.content, (exc.detail or str(exc),), completion
                )
            after = await asyncio.to_thread(self.check)
            ok, problems = step_passed(before, after, self.step)
            if not ok and not _targets_left(after, self.step):  # only new failures: flaky?
                after, _flaky = await asyncio.to_thread(
                    without_flaky, self.repo, before, after, self.recheck
                )
                ok, problems = step_passed(before, after, self.step)
            if ok:
                self.state.diagnostics = after
                self.kept.append(step_id)
            else:
                await asyncio.to_thread(self.applier.rollback, step_id)
            return AttemptResult(
                ok, completion.content, tuple(problems), completion, data=after if ok else None
            )
