"""`mom run`'s code context sized to the change (issue 12).

A request about one fault ("the test suite fails: a recent change in checker.py broke
how bindings are handled") needs the function that broke, its callers and the failing
test: a few hundred tokens, where ranked excerpts of a 2,000-line module cost 15k. This
locates that function once per run, before the first step:

1. a function the request names (`addBinding`, `Checker.addBinding`) in a file the
   request names, or anywhere in the project's Python sources;
2. else, when the request says tests fail, the project's own pytest run (stopped after
   MAX_FAILURES failures): failing tests are
   traced to the project code they implicate (workflows.test_trace, as fix-build does),
   preferring the group in the files the request names.

The located trace is rendered at each prompt (an earlier step may have moved the lines),
within FOCUS_TOKENS. When nothing is located the broad index context is used as before.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from pathlib import Path

from mom_cli.config import MomConfig
from mom_cli.index.tokens import estimate_tokens
from mom_cli.validate.detect import project_files
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.pyimports import is_test_file
from mom_cli.workflows.test_trace import (
    ProjectSources,
    callers,
    def_span,
    definitions,
    enclosing,
    trace_test_failures,
)
from mom_cli.workflows.trace_prompt import trace_sections
from mom_cli.workflows.trace_targets import Span, Trace

FOCUS_TOKENS = 3000  # the located code, callers and tests: well under 4k with the rest
MAX_TESTS = 2
MAX_FAILURES = 25  # enough to trace a root cause; a suite failing everywhere stops early
TEST_TIMEOUT = 120.0
_TESTS_FAIL = re.compile(
    r"\b(tests?|test suite|pytest|ci)\b[^.\n]{0,40}\b(fail\w*|broke\w*|red|error\w*)\b"
    r"|\bfail\w*\b[^.\n]{0,40}\btests?\b",
    re.IGNORECASE,
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_PATH = re.compile(r"[\w./-]+\.py\b")


class Focus:
    """What one run's edit steps are shown, once located."""

    def __init__(self, repo: Path, trace: Trace, failing: Sequence[Diagnostic] = ()) -> None:
        self.repo = repo
        self.trace = trace
        self.failing = list(failing)

    @property
    def files(self) -> list[str]:
        return self.trace.files

    def render(self, budget: int = FOCUS_TOKENS) -> str:
        """The code context, dropping callers, then tests, then evidence to fit."""
        text = ""
        for n_callers, n_tests, n_evidence in ((2, 2, 3), (1, 1, 2), (0, 1, 1), (0, 0, 1)):
            parts = trace_sections(
                self.trace, self.failing, self.repo, n_callers, n_tests, n_evidence
            )
            text = "\n".join(parts).strip()
            if estimate_tokens(text) <= budget:
                return text
        return text if estimate_tokens(text) <= budget else ""


def locate(repo: Path, request: str, config: MomConfig) -> Focus | None:
    """The function a one-change request is about, with its callers and tests; None when
    the request names none and no failing test points at one."""
    files = project_files(repo)
    src = ProjectSources(repo, files)
    named = [p for p in _PATH.findall(request) if p in src.file_set]
    trace = named_function(request, src, named)
    failing: list[Diagnostic] = []
    if trace is None and _TESTS_FAIL.search(request):
        trace, failing = failing_tests(repo, config, files, named)
    if trace is None or not trace.targets:
        return None
    trace.callers = callers(src, [t for t in trace.targets if t.name])
    if not trace.tests:  # a test of the function, else of a caller
        trace.tests = related_tests(src, trace.targets) or related_tests(src, trace.callers)
    return Focus(repo, trace, failing)


def named_function(request: str, src: ProjectSources, named: Sequence[str]) -> Trace | None:
    """A function or method the request names by (qualified) name: in the named files
    first, then in any project source. Common words that happen to be names (`fix`,
    `test`) only count in a named file."""
    words = {w for w in _IDENT.findall(request) if len(w) > 2}
    shorts = {w.split(".")[-1] for w in words}
    wanted = {f"def {w}" for w in shorts if _identifier_like(w) or f".{w}" in request}
    others = [  # parse only the files that define such a name (a big repo stays cheap)
        f
        for f in src.files
        if f not in named and src.source(f) and any(d in src.text(f) for d in wanted)
    ]
    pools = [list(named), others if wanted else []]
    for pool, strict in zip(pools, (False, True), strict=True):
        found: list[Span] = []
        for rel in pool:
            tree = src.tree(rel)
            for qual, node in definitions(tree) if tree is not None else []:
                short = qual.split(".")[-1]
                hit = qual in words or (short in words and (not strict or _identifier_like(short)))
                if hit and not isinstance(node, ast.ClassDef):
                    found.append(def_span(rel, qual, node))
        if found:
            return Trace(targets=found[:3], how="named")
    return None


def _identifier_like(name: str) -> bool:
    """`addBinding`, `handle_node`: not an English word a request may use in passing."""
    return "_" in name.strip("_") or any(c.isupper() for c in name[1:])


def failing_tests(
    repo: Path, config: MomConfig, files: Sequence[str], named: Sequence[str]
) -> tuple[Trace | None, list[Diagnostic]]:
    """Run the project's tests once; the traced group of failures the request is about
    (in a named file if any, the largest otherwise)."""
    from mom_cli.validate.runner import project_python
    from mom_cli.validate.tests import run_pytest

    if not any(is_test_file(f) for f in files):
        return None, []
    timeout = min(float(config.validation.timeout_seconds), TEST_TIMEOUT)
    _, found = run_pytest(
        project_python(repo),
        repo,
        [f"--maxfail={MAX_FAILURES}"],
        timeout=timeout,
        idle_after_summary=config.validation.idle_after_summary_seconds,
    )
    errors = [d for d in found if d.severity == "error" and d.stage == "tests"]
    if not errors:
        return None, []
    groups, _ = trace_test_failures(errors, repo, files, use_index=False)
    if not groups:
        return None, []
    in_named = [g for g in groups if any(t.file in named for t in g[1].targets)]
    diags, trace = max(in_named or groups, key=lambda g: len(g[0]))
    return trace, diags


def related_tests(src: ProjectSources, targets: Sequence[Span]) -> list[Span]:
    """Test functions that call a target by name: how it is meant to behave."""
    out: list[Span] = []
    for target in targets:
        short = target.name.split(".")[-1]
        if not short:
            continue
        for rel in src.files:
            if len(out) >= MAX_TESTS:
                return out
            if not is_test_file(rel) or f"{short}(" not in src.text(rel):
                continue
            line = next(
                i for i, text in enumerate(src.text(rel).splitlines(), 1) if f"{short}(" in text
            )
            span = enclosing(src, rel, line)
            if span.name and span not in out:
                out.append(span)
    return out
