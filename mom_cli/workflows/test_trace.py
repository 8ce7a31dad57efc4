"""From a failing test to the code under test: one fix-build step per root cause.

A failing test's file is rarely where the bug is. For each failing pytest test this finds
the project code it implicates, in order of evidence:

1. the traceback's frames in project (non-test) files: where the exception was raised;
2. else the project functions the test's own body calls, through what it imports (an
   assertion on a wrong return value has no project frame), led by the functions the
   change since the base touched in modules the test's imports reach: the base check
   has shown the change broke the test, and a call through a method
   (`Version.parse(a).compare(b)`) is out of reach of the import walk (python-semver);
3. else the code index's best non-test file for the failure text.

Failures that raised in the same function form one step (the same broken function fails
twenty tests: that is one fix, not twenty; see trace_groups), and the step's edit scope
is those sources plus the failing tests. A JavaScript/TypeScript test is traced to the
functions the change touched in the sources it reaches (js_trace); anything else keeps the
per-file steps, led by what the change touched in the files the test exercises
(changed_code).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.doctest_failure import parse_doctest_failure
from mom_cli.validate.pyimports import dotted_name, is_test_file
from mom_cli.workflows.doctest_trace import doctest_examples_code, doctest_frames, doctest_owner
from mom_cli.workflows.js_trace import is_js_test_failure, trace_js_failure
from mom_cli.workflows.trace_groups import MAX_TARGETS, group_traces
from mom_cli.workflows.trace_targets import Span, Trace

# pytest's long traceback: "calc/deep.py:5: in spread", and "calc/stats.py:6: ValueError"
# for the frame that raised.
_FRAME = re.compile(r"^(?P<file>[^\s:][^:\n]*\.py):(?P<line>\d+):(?: in (?P<func>\S+)|[ \w.]*)$")
# Python's own frames, quoted in pytest's `E` lines (a SyntaxError met while importing).
_PY_FRAME = re.compile(r'File "(?P<file>[^"]+\.py)", line (?P<line>\d+)')
MAX_CALLERS = 2
Changed = Mapping[str, "set[int] | None"]  # file → lines changed since the base (None: all)


class ProjectSources:
    """Parsed project files, read once per planning pass."""

    def __init__(self, repo: Path, files: Sequence[str]) -> None:
        self.repo = repo
        self.files = [f for f in files if f.endswith(".py")]
        self.file_set = set(self.files)
        self.modules = {n: f for f in self.files if (n := dotted_name(repo, f))}
        self._trees: dict[str, ast.Module | None] = {}
        self._texts: dict[str, str] = {}

    def text(self, rel: str) -> str:
        if rel not in self._texts:
            try:
                self._texts[rel] = (self.repo / rel).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self._texts[rel] = ""
        return self._texts[rel]

    def tree(self, rel: str) -> ast.Module | None:
        """The file's syntax tree; for a text file (a `--doctest-glob` README), its
        doctest examples' code, so that what they import is traced like a test's."""
        if rel not in self._trees:
            text = self.text(rel)
            try:
                self._trees[rel] = ast.parse(
                    text if rel.endswith(".py") else doctest_examples_code(text)
                )
            except (SyntaxError, ValueError):
                self._trees[rel] = None
        return self._trees[rel]

    def source(self, rel: str) -> bool:
        path = f"/{rel}"
        return (
            rel in self.file_set
            and not is_test_file(rel)
            and "/tests/" not in path
            and "/test/" not in path
        )


def definitions(tree: ast.AST, prefix: str = "") -> list[tuple[str, ast.AST]]:
    out: list[tuple[str, ast.AST]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{node.name}"
            out.append((name, node))
            out += definitions(node, name + ".")
    return out


def def_span(rel: str, name: str, node: ast.AST) -> Span:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])  # type: ignore[attr-defined]
    return Span(rel, name, first, node.end_lineno or node.lineno)  # type: ignore[attr-defined]


def enclosing(src: ProjectSources, rel: str, line: int) -> Span:
    """The innermost function (or class) around `line`; a window when there is none."""
    tree = src.tree(rel)
    best: Span | None = None
    for name, node in definitions(tree) if tree else []:
        span = def_span(rel, name, node)
        if span.start <= line <= span.end and (best is None or span.start >= best.start):
            if isinstance(node, ast.ClassDef) and best is not None:
                continue
            best = span
    return best or Span(rel, "", max(1, line - 8), line + 8)


def definition(src: ProjectSources, module: str, name: str, depth: int = 0) -> Span | None:
    """Where `from module import name` gets its object: a def in the module, or one
    re-export away (a package `__init__` that imports it from a submodule)."""
    rel = src.modules.get(module)
    tree = src.tree(rel) if rel else None
    if rel is None or tree is None:
        sub = src.modules.get(f"{module}.{name}")
        return Span(sub, "", 1, 0) if sub and src.source(sub) else None
    for qual, node in definitions(tree):
        if qual == name:
            return def_span(rel, qual, node) if src.source(rel) else None
    if depth < 2:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and any(
                (a.asname or a.name) == name for a in node.names
            ):
                base = _absolute(node, module, rel)
                real = next(a.name for a in node.names if (a.asname or a.name) == name)
                found = definition(src, base, real, depth + 1)
                if found is not None:
                    return found
    sub = src.modules.get(f"{module}.{name}")
    return Span(sub, "", 1, 0) if sub and src.source(sub) else None


def _absolute(node: ast.ImportFrom, module: str, rel: str) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if rel.endswith("__init__.py") else module.split(".")[:-1]
    package = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    return ".".join([*package, *([node.module] if node.module else [])])


def project_frames(diag: Diagnostic, src: ProjectSources, root: Path) -> list[tuple[str, int]]:
    """(file, line) of the traceback's frames in project source files, outermost first."""
    found = doctest_frames(diag.detail)
    if found is None:
        found = []
        for raw in diag.detail.splitlines():
            m = _FRAME.match(raw.rstrip())
            if not m and raw.startswith("E "):
                m = _PY_FRAME.search(raw)
            if m:
                found.append((m.group("file"), int(m.group("line"))))
    out = []
    for rel, line in found:
        if rel.startswith("/"):
            try:
                rel = Path(rel).resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                continue
        if src.source(rel):
            out.append((rel, line))
    return out


def test_span(src: ProjectSources, diag: Diagnostic) -> Span | None:
    """The failing test function itself (from the pytest node id)."""
    parts = diag.code.split("::")
    if len(parts) < 2 or not src.tree(diag.file):
        return None
    name = ".".join(p.split("[")[0] for p in parts[1:])
    if not is_test_file(diag.file):  # a doctest: the docstring's owner (doctest_trace)
        name = doctest_owner(diag.file, name)
    tree = src.tree(diag.file)
    last = name.split(".")[-1]
    found = [
        (q, n)
        for q, n in (definitions(tree) if tree else [])
        if q == name or q.endswith("." + last)
    ]
    exact = [(q, n) for q, n in found if q == name]  # else a mixin's method of that name
    for qual, node in (exact or found)[:1]:
        return def_span(diag.file, qual, node)
    return None


def imported_names(tree: ast.AST, module: str, rel: str) -> dict[str, tuple[str, str]]:
    """A file's imports: local name → (module, attribute), attribute "" for a module."""
    imported: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, rel)
            for a in node.names:
                imported[a.asname or a.name] = (base, a.name)
        elif isinstance(node, ast.Import):
            for a in node.names:
                imported[a.asname or a.name.split(".")[0]] = (
                    a.name if a.asname else a.name.split(".")[0],
                    "",
                )
    return imported


def _resolve(node: ast.AST, imported: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """(module, name) an expression names through the imports: `f`, `mod.f`, `pkg.mod.f`."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        mod, attr = imported.get(node.value.id, ("", "x"))
        if mod and not attr:
            return mod, node.attr
        if mod:
            return f"{mod}.{attr}", node.attr
    elif isinstance(node, ast.Name) and node.id in imported:
        mod, attr = imported[node.id]
        if attr:
            return mod, attr
    return None


def callees(src: ProjectSources, diag: Diagnostic, test: Span | None) -> list[Span]:
    """Project functions the test calls, resolved through the test file's imports."""
    tree = src.tree(diag.file)
    if tree is None:
        return []
    imported = imported_names(tree, dotted_name(src.repo, diag.file) or "", diag.file)
    body: ast.AST = tree
    if test is not None:
        body = next((n for q, n in definitions(tree) if q == test.name), tree)
    used = [r for node in ast.walk(body) if (r := _resolve(node, imported)) is not None]
    out: list[Span] = []
    for module, name in dict.fromkeys(used):
        span = definition(src, module, name)
        if span is not None and span not in out:
            out.append(span)
    if any(s.name for s in out):  # `from pkg import mod; mod.f()`: f, not all of mod
        out = [s for s in out if s.name]
    if not out and test is not None:
        return callees(src, diag, None)  # a fixture or helper does the calling
    return out[:MAX_TARGETS]


def helpers(src: ProjectSources, targets: Sequence[Span], depth: int = 2) -> list[Span]:
    """Project functions the targets call, `depth` levels down: in their own module or
    through their imports. With no frame to go by, a wrong value may come from below
    (IniConfig → _parse.parse_lines → _parseline)."""
    out: list[Span] = []
    frontier = list(targets)
    for _ in range(depth):
        found: list[Span] = []
        for target in frontier:
            for span in _called_functions(src, target):
                if span not in targets and span not in out:
                    out.append(span)
                    found.append(span)
        frontier = found
    return out


def _called_functions(src: ProjectSources, target: Span) -> list[Span]:
    """The project functions one target's body calls (nearest first, in call order)."""
    tree = src.tree(target.file)
    if tree is None or not target.name:
        return []
    defs = dict(definitions(tree))
    node = defs.get(target.name)
    if node is None:
        return []
    imported = imported_names(tree, dotted_name(src.repo, target.file) or "", target.file)
    out: list[Span] = []
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        local = defs.get(func.id) if isinstance(func, ast.Name) else None
        if isinstance(func, ast.Name) and isinstance(local, ast.FunctionDef | ast.AsyncFunctionDef):
            out.append(def_span(target.file, func.id, local))
            continue
        named = _resolve(call.func, imported)
        span = definition(src, *named) if named is not None else None
        if span is not None and span.name and _is_function(src, span):
            out.append(span)
    return list(dict.fromkeys(out))


def _is_function(src: ProjectSources, span: Span) -> bool:
    tree = src.tree(span.file)
    node = dict(definitions(tree)).get(span.name) if tree is not None else None
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)


def callers(src: ProjectSources, targets: Sequence[Span]) -> list[Span]:
    """Project functions that call a target, a couple per target: how it is used."""
    out: list[Span] = []
    for target in targets:
        short = target.name.split(".")[-1]
        if not short:
            continue
        found = 0
        for rel in src.files:
            if found >= MAX_CALLERS or not src.source(rel) or f"{short}(" not in src.text(rel):
                continue
            tree = src.tree(rel)
            for node in ast.walk(tree) if tree else []:
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if called != short:
                    continue
                span = enclosing(src, rel, node.lineno)
                inside = any(
                    t.file == span.file and t.start <= span.start <= t.end for t in targets
                )
                if span.name and not inside and span not in out:
                    out.append(span)
                    found += 1
                    break
    return out


def evidence(diag: Diagnostic, frames: Sequence[tuple[str, int]]) -> list[str]:
    """The assertion/exception lines pytest marked with `E`, and the project frames."""
    lines = [ln.rstrip()[:200] for ln in diag.detail.splitlines() if ln.startswith("E ")]
    lines = lines[:6] or [diag.message[:200]]
    if frames:
        lines.append("frames: " + " → ".join(f"{f}:{n}" for f, n in frames[-4:]))
    return lines


def trace_failure(
    diag: Diagnostic,
    src: ProjectSources,
    root: Path,
    index_hint: IndexHint | None = None,
    changed: Changed | None = None,
) -> Trace:
    """What one failing test implicates (an empty Trace when nothing is found).
    `changed`: file → lines changed since the base (fix_scope.changed_lines)."""
    test = test_span(src, diag)
    trace = Trace(tests=[test] if test else [])
    frames = project_frames(diag, src, root)
    suspects: list[Span] = []
    if frames:
        spans = [enclosing(src, f, n) for f, n in reversed(frames)]  # innermost first
        # the test passes at the base, so what the change touched within the test's reach
        # is the likelier cause than where the error surfaced (a bad value raised later)
        near = reachable(src, [diag.file, *(f for f, _ in frames)]) if changed else []
        suspects = changed_functions(src, changed, near) if changed else []
        found = [*suspects[: MAX_TARGETS - 1], *spans]
        trace.targets = list(dict.fromkeys(found))[:MAX_TARGETS]
        trace.how = "frames"
    else:
        called = callees(src, diag, test)
        # a text doctest's examples (`from calc import *`) name no function to call
        text_doctest = [] if diag.file.endswith(".py") else [diag.file]
        near = reachable(src, [*text_doctest, *(t.file for t in called)]) if changed else []
        suspects = changed_functions(src, changed, near) if changed else []
        found = list(dict.fromkeys([*suspects[: MAX_TARGETS - 1], *called]))[:MAX_TARGETS]
        room = max(0, MAX_TARGETS - len(found))
        trace.targets = found + [h for h in helpers(src, called) if h not in found][:room]
        trace.how = "imports" if trace.targets else ""
    if not trace.targets and index_hint is not None:
        rel = index_hint(f"{diag.code} {diag.message}", [diag.file])
        if rel and src.source(rel):
            trace.targets, trace.how = [Span(rel, "", 1, 0)], "index"
    lines = evidence(diag, frames)
    if changed and test is not None and _test_alone_changed(test, suspects, changed):
        lines.append(TEST_CHANGED)
    trace.evidence[diag.code or diag.location()] = lines
    return trace


TEST_CHANGED = (
    "note: the failing test itself changed since the base, and no code it reaches did: "
    "if its new expectation is wrong, fix the test, not the code"
)


def _test_alone_changed(test: Span, suspects: Sequence[Span], changed: Changed) -> bool:
    """sqlparse: a parametrized expectation edited ('foo' -> 'fooo'), no source touched.
    Then the code under test is not the likelier culprit, and the prompt says so."""
    if any(s.file != test.file for s in suspects):
        return False
    lines = changed.get(test.file, set())
    return lines is None or any(test.start <= n <= test.end for n in lines)


def reachable(src: ProjectSources, starts: Sequence[str], limit: int = 200) -> list[str]:
    """`starts`, then the project files they import, directly or through other project
    modules. An import names the module it reads (`from pkg.mod import f`: pkg/mod.py),
    not its parent packages: a package `__init__` that imports everything would make
    every module a suspect."""
    seen = set(starts)
    order = list(dict.fromkeys(starts))
    frontier = list(order)
    while frontier and len(seen) < limit:
        rel = frontier.pop(0)
        tree = src.tree(rel)
        module = dotted_name(src.repo, rel) or ""
        for node in ast.walk(tree) if tree is not None else []:
            read: list[str | None] = []
            if isinstance(node, ast.Import):
                read = [src.modules.get(a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, module, rel)
                # `from pkg import mod` reads the submodule; `from mod import f`, mod
                read = [
                    src.modules.get(f"{base}.{a.name}", src.modules.get(base)) for a in node.names
                ]
            for found in read:
                if found is not None and found not in seen:
                    seen.add(found)
                    order.append(found)
                    frontier.append(found)
    return order


def changed_functions(src: ProjectSources, changed: Changed, files: Sequence[str]) -> list[Span]:
    """The functions around lines changed since the base, in the source files among
    `files` (a new or untracked file counts whole, so it names no one function)."""
    out: list[Span] = []
    for rel in files:
        lines = changed.get(rel)
        tree = src.tree(rel) if lines and src.source(rel) else None
        if tree is None or not lines:
            continue
        functions = [
            def_span(rel, name, node)
            for name, node in definitions(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        for line in sorted(lines):
            around = [f for f in functions if f.start <= line <= f.end]
            outermost = min(around, key=lambda f: f.start, default=None)  # a nested def's owner
            if outermost is not None and outermost not in out:
                out.append(outermost)
    return out


class IndexHint:
    """The code index's best non-test file for a failure, when imports and frames say
    nothing (e.g. a test driven entirely by fixtures). Built lazily: most runs never
    need it."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self._index: object | None = None
        self.failed = False

    def __call__(self, query: str, in_play: list[str]) -> str:
        if self.failed:
            return ""
        try:
            from mom_cli.index.api import CodeIndex

            if self._index is None:
                index = CodeIndex(self.repo)
                index.refresh()
                self._index = index
            ranked = self._index.rank(query, in_play, limit=8)  # type: ignore[attr-defined]
        except Exception:  # the index is a hint; never fail a fix-build over it
            self.failed = True
            return ""
        return next((p for p, _ in ranked if p.endswith(".py") and not is_test_file(p)), "")


def trace_test_failures(
    diags: Sequence[Diagnostic],
    repo: Path,
    project_files: Sequence[str],
    *,
    use_index: bool = True,
    changed: Changed | None = None,
) -> tuple[list[tuple[list[Diagnostic], Trace]], list[Diagnostic]]:
    """(one group per root cause, the diagnostics that could not be traced)."""
    src = ProjectSources(repo, project_files)
    hint = IndexHint(repo) if use_index else None
    traced: list[tuple[Diagnostic, Trace]] = []
    rest: list[Diagnostic] = []
    for d in diags:
        # the file pytest names is where the test is defined: test_*.py, or a mixin's
        # module such as tests/__init__.py
        # or a text file pytest ran as a doctest (`--doctest-glob=README.rst`)
        is_py_test = (
            d.stage == "tests"
            and d.tool == "pytest"
            and (d.file.endswith(".py") or parse_doctest_failure(d.detail) is not None)
        )
        trace = (
            trace_failure(d, src, repo, hint, changed)
            if is_py_test and d.severity == "error"
            else trace_js_failure(repo, d, changed)
            if changed and is_js_test_failure(d)
            else None
        )
        if trace is not None and trace.targets:
            traced.append((d, trace))
        else:
            rest.append(d)
    groups = group_traces(traced)
    # an untraced failure (a fixture-driven test) in a file whose other failures were
    # traced: most likely the same cause; it joins that group rather than make a step
    by_file = {d.file: g for g in groups for d in g[0]}
    left = []
    for d in rest:
        group = by_file.get(d.file) if d.stage == "tests" else None
        if group is not None:
            group[0].append(d)
        else:
            left.append(d)
    rest = left
    for _, trace in groups:
        trace.callers = callers(src, [t for t in trace.targets if t.name])
    return groups, rest
