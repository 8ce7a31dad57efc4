"""Where a new import line goes, so that adding it does not break the project's isort.

A missing `import warnings` appended after the last import is valid Python, but on a
project whose ruff selects `I` (isort) the rule's fix then fails lint on the very line it
added and is thrown away (tox-dev/platformdirs). For a standard-library import the line is
placed where isort's default order wants it: among the top-level standard-library
imports, plain `import x` lines first, then `from x import y` lines, each sorted by module;
or, when the file already mixes them (a `from` line before a plain one: isort's
`force_sort_within_sections`, hukkin/mdformat), by module alone.
Anything else (project imports, a file with no standard-library imports) goes after the
leading imports, as before.
"""

from __future__ import annotations

import ast
import sys


def add_import(source: str, statement: str) -> str:
    """`source` with the one-line `statement` inserted where isort would keep it."""
    tree = ast.parse(source)
    new = ast.parse(statement).body[0]
    at = _sorted_slot(tree.body, new) if _is_stdlib(new) else None
    if at is None:
        at = _after_leading_imports(tree.body)
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines.insert(at, statement + "\n")
    return "".join(lines)


def _module(node: ast.stmt) -> str:
    if isinstance(node, ast.ImportFrom):
        return "." * node.level + (node.module or "")
    if isinstance(node, ast.Import):
        return node.names[0].name
    return ""


def _is_stdlib(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Import | ast.ImportFrom):
        return False
    if isinstance(node, ast.ImportFrom) and node.level:
        return False  # a relative import is the project's own
    top = _module(node).split(".")[0]
    return top != "__future__" and top in sys.stdlib_module_names


def _sort_key(node: ast.stmt, *, by_module_only: bool = False) -> tuple[int, str]:
    """isort's default order in a section: plain imports first, then from-imports
    (`force_sort_within_sections`: by module alone)."""
    kind = 0 if by_module_only else int(isinstance(node, ast.ImportFrom))
    return (kind, _module(node).lower())


def _mixes_kinds(imports: list[ast.stmt]) -> bool:
    """A `from` import before a plain one: the file sorts by module alone."""
    return any(
        isinstance(a, ast.ImportFrom) and isinstance(b, ast.Import)
        for a, b in zip(imports, imports[1:], strict=False)
    )


def _sorted_slot(body: list[ast.stmt], new: ast.stmt) -> int | None:
    """The 0-based line before which `new` sorts among the leading stdlib imports, or None
    when there are none (or they are not one run of imports to sort into)."""
    stdlib: list[ast.stmt] = []
    for node in body:
        if not isinstance(node, ast.Import | ast.ImportFrom | ast.Expr):
            break
        if _is_stdlib(node):
            stdlib.append(node)
    if not stdlib:
        return None
    by_module_only = _mixes_kinds(stdlib)
    key = _sort_key(new, by_module_only=by_module_only)
    for node in stdlib:
        if key < _sort_key(node, by_module_only=by_module_only):
            return node.lineno - 1
    return stdlib[-1].end_lineno or stdlib[-1].lineno


def _after_leading_imports(body: list[ast.stmt]) -> int:
    after = 0
    for i, node in enumerate(body):
        is_doc = i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if is_doc or isinstance(node, ast.Import | ast.ImportFrom):
            after = node.end_lineno or node.lineno
        elif after:
            break
    return after
