"""JavaScript/TypeScript rules: `eslint --fix` when the project has eslint, tsc's
"Did you mean" for misspelt names (TS2551/TS2552: the compiler names the fix), and a
missing `,` between object or array entries, located by tree-sitter."""

from __future__ import annotations

import json
import re

from mom_cli.edits.blocks import EditBlock
from mom_cli.rules.c_family import code_end
from mom_cli.rules.registry import RuleContext, rule
from mom_cli.rules.textedit import minimal_block, replace_line
from mom_cli.rules.tools import run_tool
from mom_cli.validate.detect import language_of
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.syntax import check_source

_DID_YOU_MEAN = re.compile(
    r"(?:Cannot find name|Property) '(?P<bad>[\w$]+)'.*?Did you mean '(?P<good>[\w$]+)'\?"
)


def project_eslint(ctx: RuleContext) -> str | None:
    """The project's own eslint (node_modules/.bin), never a global one."""
    exe = ctx.repo / "node_modules" / ".bin" / "eslint"
    return str(exe) if exe.is_file() else None


@rule("js.eslint_fix", languages=("javascript", "typescript"))
def eslint_fix(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """An eslint finding → `eslint --fix-dry-run` on the file's text, the fixed output."""
    if diag.tool != "eslint" or not diag.code:
        return None
    eslint = project_eslint(ctx)
    if eslint is None:
        return None
    argv = [eslint, "--fix-dry-run", "--format", "json", "--stdin", "--stdin-filename", diag.file]
    result = run_tool(argv, ctx.repo, stdin=source)
    if result is None or not result.stdout.strip().startswith("["):
        return None
    try:
        reports = json.loads(result.stdout)
    except ValueError:
        return None
    fixed = next((r.get("output") for r in reports if r.get("output")), None)
    return minimal_block(diag.file, source, fixed) if fixed else None


@rule("js.tsc_did_you_mean", languages=("typescript", "javascript"))
def tsc_did_you_mean(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """tsc's `Did you mean 'x'?` → rename the identifier on the reported line."""
    match = _DID_YOU_MEAN.search(diag.message or "")
    if match is None or not diag.line:
        return None
    bad, good = match.group("bad"), match.group("good")
    lines = source.splitlines(keepends=True)
    if not 1 <= diag.line <= len(lines):
        return None
    pattern = re.compile(rf"(?<![\w$]){re.escape(bad)}(?![\w$])")
    line = lines[diag.line - 1]
    if not pattern.search(line):
        return None
    lines[diag.line - 1] = pattern.sub(good, line)
    return minimal_block(diag.file, source, "".join(lines))


# a line ending in one of these needs no comma after it (it opens, continues or ends one)
_NO_COMMA_AFTER = (",", "{", "[", "(", ";", ":", "=>", "=", "+", "-", "*", "/", "&&", "||", "?")


@rule("js.missing_comma", languages=("javascript", "typescript", "tsx"))
def missing_comma(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """An object or array entry without its trailing `,` (`bold: init(1, 22)` before
    `dim: …`, as in lukeed/kleur) → add it at the end of the line before the error, when
    tree-sitter's reparse then has fewer errors and none left at or before that line."""
    if diag.stage != "syntax" or diag.tool != "tree-sitter" or diag.line < 2:
        return None
    language = language_of(diag.file) or ""
    before = check_source(diag.file, source.encode(), language)
    if not before:
        return None
    lines = source.splitlines(keepends=True)
    lineno = next(
        (n for n in range(min(diag.line, len(lines)) - 1, 0, -1) if lines[n - 1].strip()), 0
    )
    if not lineno:
        return None
    line = lines[lineno - 1].rstrip("\r\n")
    end = code_end(line)
    code = line[:end].strip()
    if not code or code.startswith(("//", "/*", "*")) or code.endswith(_NO_COMMA_AFTER):
        return None
    candidate = replace_line(source, lineno, line[:end] + "," + line[end:])
    after = check_source(diag.file, candidate.encode(), language)
    if len(after) < len(before) and all(d.line > lineno for d in after):
        return minimal_block(diag.file, source, candidate)
    return None
