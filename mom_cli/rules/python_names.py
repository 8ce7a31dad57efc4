"""Python name rules: misspelt names (CPython's "Did you mean"), and missing imports.

An undefined name (ruff F821, or `NameError` in test output) is resolved in this order,
refusing whenever the answer is not unique:
1. a local or parameter of the enclosing function is a close match → rename the use, as
   CPython's own "Did you mean" would (locals first: `chunk` for `chunks` must not import
   the stdlib's `chunk` module);
2. it is a standard-library module used as one (`json.dumps`) or a top-level name of
   another project module → add the import;
3. a module global or builtin is a close match → rename;
4. it is a public name of a common standard-library module (`Path`, `dataclass`) → import.
Misspelt attributes are python_attributes' job.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import re
import sys
from pathlib import PurePosixPath

from mom_cli.edits.blocks import EditBlock
from mom_cli.rules.python_imports import add_import
from mom_cli.rules.registry import RuleContext, rule
from mom_cli.rules.spelling import closest_name, name_score
from mom_cli.rules.textedit import minimal_block
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.pyimports import dotted_name

_UNDEFINED = re.compile(
    r"(?:Undefined name|name) [`'](?P<name>[A-Za-z_]\w*)[`'](?: is not defined)?"
)
# `reslt += v` where only `result` exists: CPython binds `reslt` locally, then cannot read it
_UNBOUND = re.compile(r"cannot access local variable '(?P<name>[A-Za-z_]\w*)'")
# Scanned in order; the first module that exports a name wins (collections before typing).
STDLIB_EXPORTERS = (
    "pathlib",
    "dataclasses",
    "collections",
    "functools",
    "itertools",
    "datetime",
    "decimal",
    "fractions",
    "enum",
    "contextlib",
    "copy",
    "textwrap",
    "typing",
)


def _bound_names(node: ast.AST) -> set[str]:
    """Names bound directly in a function or module body (not in nested functions)."""
    names: set[str] = set()
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        a = node.args
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
            if arg is not None:
                names.add(arg.arg)
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        if isinstance(child, ast.AugAssign) and isinstance(child.target, ast.Name):
            stack.append(child.value)  # `x += 1` reads x first: it binds nothing new
            continue
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store | ast.Del):
            names.add(child.id)
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(child.name)
            stack.extend(child.decorator_list)
            continue
        elif isinstance(child, ast.Import | ast.ImportFrom):
            for alias in child.names:
                names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(child, ast.ExceptHandler) and child.name:
            names.add(child.name)
        elif isinstance(child, ast.arg):
            names.add(child.arg)
        if not isinstance(child, ast.Lambda):
            stack.extend(ast.iter_child_nodes(child))
    return names


def _scopes_at(tree: ast.Module, line: int) -> list[ast.AST]:
    """The module and every function enclosing `line`, outermost first."""
    out: list[ast.AST] = [tree]
    node: ast.AST = tree
    while True:
        inner = [
            c
            for c in ast.iter_child_nodes(node)
            if isinstance(c, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and c.lineno <= line <= (c.end_lineno or c.lineno)
        ]
        if not inner:
            return out
        node = inner[0]
        if not isinstance(node, ast.ClassDef):
            out.append(node)


def _uses(tree: ast.AST, name: str) -> list[ast.Name]:
    """Where `name` is read: loads, and the target of `name += …` (read, then stored)."""
    augmented = {
        id(n.target)
        for n in ast.walk(tree)
        if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)
    }
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Name)
        and n.id == name
        and (isinstance(n.ctx, ast.Load) or id(n) in augmented)
    ]


def _rename(source: str, nodes: list[ast.Name], new: str) -> str:
    lines = source.splitlines(keepends=True)
    for node in sorted(nodes, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        raw = lines[node.lineno - 1].encode("utf-8")
        start = len(raw[: node.col_offset].decode("utf-8", "replace"))
        text = lines[node.lineno - 1]
        if text[start : start + len(node.id)] != node.id:
            return source
        lines[node.lineno - 1] = text[:start] + new + text[start + len(node.id) :]
    return "".join(lines)


def module_name(rel: str, ctx: RuleContext) -> str | None:
    """Dotted import name of a project file (the validator's own notion of it)."""
    return dotted_name(ctx.repo, rel)


def _project_definitions(ctx: RuleContext) -> dict[str, list[str]]:
    """Top-level def/class names → project modules defining them (cached per pass)."""
    cached = ctx.cache.get("py.project_defs")
    if isinstance(cached, dict):
        return cached
    defs: dict[str, list[str]] = {}
    for rel in ctx.project_files:
        if not rel.endswith(".py") or "test" in PurePosixPath(rel).name:
            continue
        text = ctx.read(rel)
        mod = module_name(rel, ctx)
        if text is None or mod is None:
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defs.setdefault(node.name, []).append(mod)
    ctx.cache["py.project_defs"] = defs
    return defs


def _stdlib_exporter(name: str) -> str | None:
    for mod_name in STDLIB_EXPORTERS:
        try:
            mod = importlib.import_module(mod_name)
        except ImportError:
            continue
        exported = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
        if name in exported:
            return mod_name
    return None


def _import_for(
    name: str, path: str, ctx: RuleContext, *, exact_only: bool, as_module: bool
) -> str | None:
    if as_module and name in sys.stdlib_module_names and not name.startswith("_"):
        return f"import {name}"
    own = module_name(path, ctx)
    mods = [m for m in _project_definitions(ctx).get(name, []) if m != own]
    if len(set(mods)) == 1:
        return f"from {mods[0]} import {name}"
    if exact_only:
        return None
    exporter = _stdlib_exporter(name)
    return f"from {exporter} import {name}" if exporter else None


@rule("python.undefined_name", languages=("python",))
def undefined_name(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """F821 / NameError / UnboundLocalError → import it if it lives elsewhere, or rename
    to the close match in scope (a use, or the target of `name += …`)."""
    match = _UNDEFINED.search(diag.message or "") or _UNBOUND.search(diag.message or "")
    if match is None:
        return None
    name = match.group("name")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    uses = _uses(tree, name)
    if not uses:
        return None
    at = next((u for u in uses if u.lineno == diag.line), uses[0])
    scopes = _scopes_at(tree, at.lineno)
    visible: set[str] = set(dir(builtins))
    for scope in scopes:
        visible |= _bound_names(scope)
    if name in visible:
        return None  # bound somewhere here: not a typo this rule understands
    inner = scopes[-1]
    targets = [u for u in uses if inner is tree or u in _uses(inner, name)]
    # 1. CPython prefers a close local: `return chunk` in a function with `chunks`,
    # unless a global is closer: `Pth(path)` is `Path(path)`, not `path(path)`.
    local = closest_name(name, _bound_names(inner)) if inner is not tree else None
    if local is not None and not _closer_outside(name, local, visible - _bound_names(inner)):
        return minimal_block(diag.file, source, _rename(source, targets, local))
    # 2. a `from module import Nmae` of the module that defines `name`: the import is the typo
    fixed = _fix_misspelt_import(source, tree, name, ctx)
    if fixed is not None:
        return minimal_block(diag.file, source, fixed)
    # 3. the exact name of a module used as one (`json.dumps`), or a project symbol
    statement = _import_for(
        name, diag.file, ctx, exact_only=True, as_module=_used_as_module(tree, name)
    )
    if statement is None:
        # 4. a close global or builtin, then 5. a stdlib export (`Path`, `dataclass`)
        guess = closest_name(name, visible)
        if guess is not None:
            return minimal_block(diag.file, source, _rename(source, targets, guess))
        statement = _import_for(name, diag.file, ctx, exact_only=False, as_module=False)
    if statement is None:
        return None
    return minimal_block(diag.file, source, add_import(source, statement))


def _fix_misspelt_import(source: str, tree: ast.Module, name: str, ctx: RuleContext) -> str | None:
    """`source` with `from M import Nmae` corrected to `name`, when project module M defines
    `name` and not `Nmae` (that import raises ImportError): importing `name` a second
    time under the bad one, as step 3 would, leaves the ImportError in place."""
    homes = set(_project_definitions(ctx).get(name, []))
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or node.level or node.module not in homes:
            continue
        defined = _module_names(node.module, ctx)
        for alias in node.names:
            bad = alias.name
            if defined is None or bad in defined or alias.asname is not None:
                continue
            if closest_name(name, {bad}) != bad:
                continue
            lines = source.splitlines(keepends=True)
            raw = lines[alias.lineno - 1].encode()
            start, end = alias.col_offset, alias.end_col_offset or 0
            if raw[start:end] != bad.encode():
                return None
            lines[alias.lineno - 1] = (raw[:start] + name.encode() + raw[end:]).decode()
            return "".join(lines)
    return None


def _module_names(module: str, ctx: RuleContext) -> set[str] | None:
    """Every name project module `module` binds at its top level (None: not found)."""
    for rel in ctx.project_files:
        if rel.endswith(".py") and module_name(rel, ctx) == module:
            text = ctx.read(rel)
            try:
                return _bound_names(ast.parse(text)) if text is not None else None
            except (SyntaxError, ValueError):
                return None
    return None


def _closer_outside(name: str, local: str, others: set[str]) -> bool:
    """Is a global or builtin strictly closer to `name` than the local `local`?"""
    best = name_score(name, local)
    limit = 1 if len(name) <= 5 else 2
    return any(name_score(name, c) < best for c in others if abs(len(c) - len(name)) <= limit)


def _used_as_module(tree: ast.AST, name: str) -> bool:
    """Every use of `name` is `name.attribute`: only then can it be a missing module import."""
    attr_bases = {
        id(n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == name
    }
    uses = _uses(tree, name)
    return bool(uses) and all(id(u) in attr_bases for u in uses)
