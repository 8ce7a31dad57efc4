"""From a failing JavaScript/TypeScript test to the function the change broke.

jest, mocha, vitest and node print the failing assertion's frame in the test file; the
bug is in the source the test reaches. There is no import-aware tracer for JS as there is
for pytest, but the base check has shown the change broke these tests, so what the change
touched in the sources the test file reaches (its relative `require`/`import`s, followed
through the project's own files) is the cause: commander.js's `camelcase` broken in
lib/option.js failed seven tests in three test files, reached through `require('../')` →
index.js → lib/command.js → lib/option.js. Each such failure becomes a traced failure
(test_trace groups them: the same function broken is one step), whose prompt holds the
changed functions and the failing test's lines, and whose edit scope is the source first.
Nothing is run; only files are read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from mom_cli.validate.detect import language_of
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.workflows.changed_code import is_test_path, js_imports
from mom_cli.workflows.trace_groups import MAX_TARGETS
from mom_cli.workflows.trace_targets import Span, Trace

Changed = Mapping[str, "set[int] | None"]  # file → lines changed since the base (None: all)
JS_LANGUAGES = ("javascript", "typescript", "tsx")
_FUNCTION_KINDS = {"function", "method"}
TEST_WINDOW = (8, 6)  # lines shown above and below the failing assertion
MAX_REACHED = 200


def is_js_test_failure(d: Diagnostic) -> bool:
    """A failing JS/TS test located in its test file (a failure that raised in a source
    file already names that file)."""
    return (
        d.stage == "tests"
        and d.severity == "error"
        and d.tool != "pytest"
        and language_of(d.file) in JS_LANGUAGES
        and is_test_path(d.file)
    )


def trace_js_failure(repo: Path, diag: Diagnostic, changed: Changed) -> Trace:
    """The functions the change touched in the sources the test reaches (an empty Trace
    when it reaches none)."""
    reached = [r for r in js_reachable(repo, [diag.file]) if not is_test_path(r)]
    targets = changed_js_functions(repo, changed, reached)[:MAX_TARGETS]
    above, below = TEST_WINDOW
    test = Span(diag.file, "", max(1, diag.line - above), diag.line + below)
    trace = Trace(targets=targets, tests=[test] if diag.line else [])
    trace.how = "imports" if targets else ""
    trace.evidence[diag.code or diag.location()] = [diag.message[:200]]
    return trace


def js_reachable(repo: Path, starts: Sequence[str], limit: int = MAX_REACHED) -> list[str]:
    """`starts`, then the project files they import, directly or through other project
    files (breadth first)."""
    order = list(dict.fromkeys(starts))
    seen = set(order)
    frontier = list(order)
    while frontier and len(seen) < limit:
        rel = frontier.pop(0)
        for found in sorted(js_imports(repo, rel)):
            if found not in seen and language_of(found) in JS_LANGUAGES:
                seen.add(found)
                order.append(found)
                frontier.append(found)
    return order


def changed_js_functions(repo: Path, changed: Changed, files: Sequence[str]) -> list[Span]:
    """The outermost function around each changed line of `files` (tree-sitter), else a
    window around the changed lines; a file new as a whole names none."""
    from mom_cli.index.languages import language_for
    from mom_cli.index.tags import extract

    out: list[Span] = []
    for rel in files:
        lines = changed.get(rel)
        spec = language_for(rel)
        if not lines or spec is None:
            continue
        try:
            defs = extract((repo / rel).read_bytes(), spec.name).definitions
        except Exception:  # a parser missing or failing is no reason to fail a step
            defs = []
        functions = [d for d in defs if d.kind in _FUNCTION_KINDS]
        for line in sorted(lines):
            around = [d for d in functions if d.line <= line <= d.end_line]
            outer = min(around, key=lambda d: d.line, default=None)
            span = (
                Span(rel, outer.name, outer.line, outer.end_line)
                if outer is not None
                else Span(rel, "", max(1, line - 5), line + 5)
            )
            if span not in out and not any(_inside(line, s) for s in out if s.file == rel):
                out.append(span)
    return out


def _inside(line: int, span: Span) -> bool:
    return span.start <= line <= span.end
