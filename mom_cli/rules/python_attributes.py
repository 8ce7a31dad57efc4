"""Python attribute rule: a misspelt attribute (`AttributeError: ... has no attribute`).

CPython's own "Did you mean: 'x'?" is followed when the message carries it. pytest prints
the error without it, and reports it at the test's line, so the line that raised is found
from the traceback (only in the project's own files) and the closest name is picked the
way `spelling.closest_name` does: for `self.bad`, among the attributes the file's
classes define; for `module 'pkg.mod' has no attribute 'bad'`, among the names that
module's source defines (read, never imported: see `module_names`); for `'list' object`
or `'collections.deque' object`, among that built-in or standard-library type's own.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import re
import sys

from mom_cli.edits.blocks import EditBlock
from mom_cli.rules.python_module_names import module_names
from mom_cli.rules.registry import RuleContext, rule
from mom_cli.rules.spelling import closest_name
from mom_cli.rules.textedit import minimal_block
from mom_cli.validate.diagnostics import Diagnostic

_ATTRIBUTE = re.compile(
    r"has no attribute '(?P<bad>[A-Za-z_]\w*)'\.? ?(?:Did you mean:? '(?P<good>[A-Za-z_]\w*)'\??)?"
)


@rule("python.misspelt_attribute", languages=("python",))
def misspelt_attribute(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """AttributeError with CPython's "Did you mean: 'x'?" → rename `.bad` to `.x` in the file.
    pytest prints the error without CPython's suggestion, so for `self.bad` on the reported
    line the suggestion is made the same way from the attributes the file's classes define."""
    match = _ATTRIBUTE.search(diag.message or "")
    if match is None:
        return None
    bad, good = match.group("bad"), match.group("good")
    if not good:
        module = _MODULE.search(diag.message or "")
        if module is not None:
            return _misspelt_module_attribute(diag, source, module.group("module"), bad, ctx)
        return _misspelt_self_attribute(diag, source, bad, ctx) or _misspelt_standard_attribute(
            diag, source, bad, ctx
        )
    pattern = re.compile(rf"\.{re.escape(bad)}\b")
    lines = source.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if pattern.search(line)]
    if not hits:
        return None
    if diag.line and diag.line - 1 in hits:
        hits = [diag.line - 1]
    for i in hits:
        lines[i] = pattern.sub(f".{good}", lines[i])
    return minimal_block(diag.file, source, "".join(lines))


_SELF_NAMES = ("self", "cls")
_MODULE = re.compile(r"module '(?P<module>[A-Za-z_][\w.]*)' has no attribute")


def _misspelt_module_attribute(
    diag: Diagnostic, source: str, module: str, bad: str, ctx: RuleContext
) -> EditBlock | None:
    """`ma.fields.Lists` where the module `marshmallow.fields` defines `List` and no
    `Lists` (sloria/environs: pytest's message carries no suggestion): rename it on the
    line that raised (the reported line, else the traceback's last project frame)."""
    names = module_names(module, ctx.repo)
    if not names or bad in names:
        return None
    good = closest_name(bad, names)
    if good is None:
        return None
    return _rename_where_raised(diag, source, bad, good, ctx)


def _rename_where_raised(
    diag: Diagnostic, source: str, bad: str, good: str, ctx: RuleContext
) -> EditBlock | None:
    """`.bad` → `.good` on the line that raised: the reported line, else the traceback's
    last project frame."""
    use = re.compile(rf"\.{re.escape(bad)}\b")
    for file, line, text in [(diag.file, diag.line, source), *_raise_site(diag, ctx)]:
        lines = text.splitlines(keepends=True)
        if 0 < line <= len(lines) and use.search(lines[line - 1]):
            lines[line - 1] = use.sub(f".{good}", lines[line - 1])
            return minimal_block(file, text, "".join(lines))
    return None


def _misspelt_self_attribute(
    diag: Diagnostic, source: str, bad: str, ctx: RuleContext
) -> EditBlock | None:
    """`self.wait_fixd` on the reported line (or, for a failing test, on the line that
    raised it in a project file), where that file's classes define `wait_fixed` (assigned
    as `self.x` / `cls.x`, or a method or class attribute) and no `wait_fixd`: rename it on
    that line only."""
    use = re.compile(rf"\b(?P<base>{'|'.join(_SELF_NAMES)})\.{re.escape(bad)}\b")
    for file, line, text in [(diag.file, diag.line, source), *_raise_site(diag, ctx)]:
        lines = text.splitlines(keepends=True)
        if not 0 < line <= len(lines) or not use.search(lines[line - 1]):
            continue
        try:
            defined = _class_attributes(ast.parse(text))
        except (SyntaxError, ValueError):
            return None
        good = None if bad in defined else closest_name(bad, defined)
        if good is None:
            return None
        lines[line - 1] = use.sub(rf"\g<base>.{good}", lines[line - 1])
        return minimal_block(file, text, "".join(lines))
    return None


_OBJECT = re.compile(r"'(?P<type>[A-Za-z_][\w.]*)' object has no attribute")
# standard modules whose types CPython names with the module (`'collections.deque'`) and
# that import without side effects; others are only looked up once already imported
_IMPORTABLE = frozenset({"collections", "datetime", "decimal", "fractions", "array", "re"})


def _misspelt_standard_attribute(
    diag: Diagnostic, source: str, bad: str, ctx: RuleContext
) -> EditBlock | None:
    """`self._cache.apend(x)` on a deque (more-itertools' peekable): pytest says only
    `'collections.deque' object has no attribute 'apend'`. The type's own attributes
    decide; it is renamed on the line that raised (the reported line, else the
    traceback's last project frame). A project's own type is left to the other rules."""
    match = _OBJECT.search(diag.message or "")
    kind = _standard_type(match.group("type")) if match is not None else None
    if kind is None:
        return None
    names = {n for n in dir(kind) if not n.startswith("__")}
    good = None if bad in names else closest_name(bad, names)
    if good is None:
        return None
    return _rename_where_raised(diag, source, bad, good, ctx)


def _standard_type(name: str) -> type | None:
    """The built-in (`list`) or standard-library (`collections.deque`) type CPython's
    message names; None for anything else."""
    module_name, _, attr = name.rpartition(".")
    if not module_name:
        found = getattr(builtins, name, None)
        return found if isinstance(found, type) else None
    if module_name.split(".")[0] not in sys.stdlib_module_names:
        return None
    module = sys.modules.get(module_name)
    if module is None and module_name in _IMPORTABLE:
        module = importlib.import_module(module_name)
    found = getattr(module, attr, None) if module is not None else None
    return found if isinstance(found, type) else None


# pytest's short frame lines: `pkg/wait.py:56: AttributeError`
_FRAME = re.compile(r"^(?P<file>[^\s:]+\.py):(?P<line>\d+): \w+$", re.M)


def _raise_site(diag: Diagnostic, ctx: RuleContext) -> list[tuple[str, int, str]]:
    """Where a failing test's exception was raised, when that is another project file:
    the traceback's last frame, trusted only if it names one of the project's files."""
    frames = _FRAME.findall(diag.detail or "")
    if not frames:
        return []
    file, line = frames[-1]
    if file == diag.file or file not in ctx.project_files:
        return []
    text = ctx.read(file)
    return [] if text is None else [(file, int(line), text)]


def _class_attributes(tree: ast.AST) -> set[str]:
    """Attribute names the module's classes define: `self.x = ...`, methods, class-level
    assignments."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            if isinstance(node.value, ast.Name) and node.value.id in _SELF_NAMES:
                names.add(node.attr)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    names.add(item.name)
                elif isinstance(item, ast.Assign | ast.AnnAssign):
                    targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                    names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names
