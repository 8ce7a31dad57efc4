"""Syntax repairs for C, C++ and Java from tree-sitter's errors: no compiler needed.

A statement missing its `;` is the commonest slip in these languages and tree-sitter
locates it (an ERROR node at the statement's last token, or a MISSING `;`). The rule tries
the semicolon at the end of that line's code, then of the line before, and keeps the
first candidate whose parse has fewer errors and none left at or before the edit; else
it refuses. The validator still judges the edit (the build stage compiles for real).
"""

from __future__ import annotations

from mom_cli.edits.blocks import EditBlock
from mom_cli.rules.registry import RuleContext, rule
from mom_cli.rules.textedit import minimal_block, replace_line
from mom_cli.validate.detect import language_of
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.syntax import check_source

# a line starting with one of these is not a statement (preprocessor, comment)
_NOT_A_STATEMENT = ("#", "//", "/*", "*")
# a line ending in one of these already ends (or continues) a statement
_NO_SEMICOLON_AFTER = (";", "{", "}", ",", ":", "(", "[", "&&", "||", "+", "-", "*", "/", "=")


@rule("cfamily.missing_semicolon", languages=("c", "cpp", "java"))
def missing_semicolon(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """A statement without its `;` → add it at the end of that statement's line."""
    before = tree_sitter_errors(diag, source) if diag.line >= 1 else []
    if not before:
        return None
    for lineno in (diag.line, diag.line - 1):
        block = end_line_with(
            diag.file, source, before, lineno, ";", _NOT_A_STATEMENT, _NO_SEMICOLON_AFTER
        )
        if block is not None:
            return block
    return None


def tree_sitter_errors(diag: Diagnostic, source: str) -> list[Diagnostic]:
    """The file's parse errors now, when `diag` is one of tree-sitter's syntax errors
    (else [], and the punctuation rules stand aside)."""
    if diag.stage != "syntax" or diag.tool != "tree-sitter":
        return []
    return check_source(diag.file, source.encode(), language_of(diag.file) or "")


def end_line_with(
    path: str,
    source: str,
    before: list[Diagnostic],
    lineno: int,
    mark: str,
    not_after_start: tuple[str, ...],
    not_after_end: tuple[str, ...],
) -> EditBlock | None:
    """`mark` appended to the code of line `lineno` (before a trailing comment), kept only
    when the reparse has fewer errors than `before` and none at or before that line."""
    lines = source.splitlines(keepends=True)
    if not 1 <= lineno <= len(lines):
        return None
    line = lines[lineno - 1].rstrip("\r\n")
    end = code_end(line)
    code = line[:end].strip()
    if not code or code.startswith(not_after_start) or code.endswith(not_after_end):
        return None
    candidate = replace_line(source, lineno, line[:end] + mark + line[end:])
    after = check_source(path, candidate.encode(), language_of(path) or "")
    if len(after) < len(before) and all(d.line > lineno for d in after):
        return minimal_block(path, source, candidate)
    return None


def code_end(line: str) -> int:
    """Where the line's code ends: before a trailing `//` or `/* */` comment and blanks
    (quotes respected, so `"http://x"` is code)."""
    quote = ""
    i = 0
    end = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                end = min(i + 2, len(line))
                i += 2
                continue
            if ch == quote:
                quote = ""
            end = i + 1
        elif ch in "\"'":
            quote = ch
            end = i + 1
        elif line.startswith(("//", "/*"), i):
            break
        elif not ch.isspace():
            end = i + 1
        i += 1
    return end
