"""The prompt of a traced step: sized to the change, not to the files around it.

For a fault inside one function the model needs that function, who calls it, the failing
test and what the assertion said: a few hundred tokens, where whole-file excerpts of
every module in play cost thousands. Source is copied verbatim (no line numbers) so that
SEARCH text can be taken from it. When a small model's window is tight, callers go first,
then the tests' bodies; the code under test and the assertion lines always stay.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mom_cli.edits.parse import EDIT_FORMAT_PROMPT
from mom_cli.validate.detect import language_of
from mom_cli.workflows.test_trace import def_span, definitions
from mom_cli.workflows.trace_targets import Span, Trace

if TYPE_CHECKING:
    from mom_cli.routing.ladder import Feedback
    from mom_cli.validate.diagnostics import Diagnostic

MAX_TARGET_LINES = 80  # a longer function is cut to the window around its frame line
MAX_CALLER_LINES = 25
MAX_TEST_LINES = 30
MODULE_WINDOW = 60  # a module-level target (no function found): its first lines

HEAD = (
    "The project's tests fail. The failure was traced to the code under test below. "
    "Fix the bug there with the smallest edit; do not change the tests unless the test "
    "itself is wrong."
)


def _current(repo: Path, span: Span) -> tuple[list[str], Span]:
    """The span's lines as the file is now (an earlier step may have moved them)."""
    try:
        text = (repo / span.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [], span
    lines = text.splitlines()
    if span.name:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            tree = None
        same = [n for q, n in (definitions(tree) if tree else []) if q == span.name]
        if same:  # the one nearest where it was: `Cache.__setitem__`, not another class's
            node = min(same, key=lambda n: abs(getattr(n, "lineno", 0) - span.start))
            found = def_span(span.file, span.name, node)
            span = Span(span.file, span.name, found.start, found.end)
    end = span.end if span.end >= span.start else min(len(lines), MODULE_WINDOW)
    return lines, Span(span.file, span.name, span.start, end)


def _block(repo: Path, span: Span, limit: int, focus: Sequence[int] = ()) -> str:
    lines, span = _current(repo, span)
    if not lines:
        return ""
    start, end = span.start, min(span.end, len(lines))
    if end - start + 1 > limit:
        at = next((n for n in focus if start <= n <= end), start)
        start = max(start, at - limit // 2)
        end = min(end, start + limit - 1)
    body = "\n".join(lines[start - 1 : end])
    what = f"{span.name} (lines {start}-{end})" if span.name else f"lines {start}-{end}"
    fence = language_of(span.file) or ""
    return f"{span.file}, {what}:\n```{fence}\n{body}\n```"


def build_trace_prompt(
    trace: Trace,
    diagnostics: Sequence[Diagnostic],
    repo: Path,
    feedback: Feedback | None = None,
    max_chars: int = 0,
) -> str:
    """Failing tests → code under test → callers → test bodies → edit format."""
    text = ""
    for n_callers, n_tests, n_evidence in ((2, 2, 3), (0, 1, 2), (0, 0, 1)):
        text = _prompt(trace, diagnostics, repo, feedback, n_callers, n_tests, n_evidence)
        if not max_chars or len(text) <= max_chars:
            return text
    return text


def _prompt(
    trace: Trace,
    diagnostics: Sequence[Diagnostic],
    repo: Path,
    feedback: Feedback | None,
    n_callers: int,
    n_tests: int,
    n_evidence: int,
) -> str:
    parts = [HEAD, ""]
    parts += trace_sections(trace, diagnostics, repo, n_callers, n_tests, n_evidence)
    parts += ["", EDIT_FORMAT_PROMPT]
    if feedback is not None and feedback.previous:
        parts.append(feedback.as_prompt(limit=6))
    return "\n".join(p for p in parts if p is not None)


def trace_sections(
    trace: Trace,
    diagnostics: Sequence[Diagnostic],
    repo: Path,
    n_callers: int = 2,
    n_tests: int = 2,
    n_evidence: int = 3,
) -> list[str]:
    """The failing tests' evidence, the code under test, its callers and the tests'
    bodies, as prompt lines (also `mom run`'s focused context: engine.focus)."""
    parts = [f"Failing tests ({len(diagnostics) or len(trace.evidence)}):"]
    for key, lines in list(trace.evidence.items())[:n_evidence]:
        parts.append(f"- {key}")
        parts += [f"    {line.strip()}" for line in lines]
    if len(trace.evidence) > n_evidence:
        parts.append(f"- … and {len(trace.evidence) - n_evidence} more failing the same way")
    if not trace.evidence:
        parts = []
    others = [d for d in diagnostics if d.stage != "tests"]
    if others:
        parts += ["", "Also failing in these files:"]
        parts += [f"- {d.location()}: [{d.stage}] {d.message[:200]}" for d in others[:6]]
    lines_hit = [d.line for d in diagnostics]
    frames = [int(x.split(":")[-1]) for e in trace.evidence.values() for x in _frames(e)]
    parts += ["", "Code under test:"]
    for span in trace.targets:
        parts.append(_block(repo, span, MAX_TARGET_LINES, frames or lines_hit))
    callers = trace.callers[: n_callers * max(1, len(trace.targets))][:4]
    if callers:
        parts += ["", "Called from:"]
        parts += [_block(repo, span, MAX_CALLER_LINES) for span in callers]
    if n_tests and trace.tests:
        label = "The failing test" if trace.evidence else "Its test"
        parts += ["", f"{label}:" if len(trace.tests) == 1 else f"{label}s:"]
        parts += [_block(repo, span, MAX_TEST_LINES) for span in trace.tests[:n_tests]]
    return parts


def _frames(evidence: Sequence[str]) -> list[str]:
    for line in evidence:
        if line.startswith("frames: "):
            return [x.strip() for x in line[len("frames: ") :].split("→")]
    return []
