"""JavaScript/TypeScript rules: `eslint --fix` when the project has eslint, tsc's
"Did you mean" for misspelt names (TS2551/TS2552: the compiler names the fix), node's
"ReferenceError: x is not defined" for a name the file declares under a close spelling,
a missing `,` between object or array entries, and a closing token tree-sitter found
missing (`)`, `]`, `}`, `;`), each located by tree-sitter."""

from __future__ import annotations

import json
import re

from mom_cli.edits.blocks import EditBlock
from mom_cli.rules.c_family import end_line_with, tree_sitter_errors
from mom_cli.rules.registry import RuleContext, rule
from mom_cli.rules.spelling import closest_name
from mom_cli.rules.textedit import minimal_block
from mom_cli.rules.tools import run_tool
from mom_cli.validate.detect import language_of
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.operands import path_option
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
    argv = [eslint, "--fix-dry-run", "--format", "json", "--stdin"]
    argv.append(path_option("--stdin-filename", diag.file))
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


_NOT_DEFINED = re.compile(r"ReferenceError: (?P<name>[A-Za-z_$][\w$]*) is not defined")
_IDENT = r"[A-Za-z_$][\w$]*"
# `function f`, `class C`, `const x`, `let x`, `var x`, `import x from`
_DECLARED = re.compile(rf"\b(?:function\*?|class|const|let|var|import)\s+({_IDENT})")
# `const { a, b: c } = require(…)`, `import { a, b as c } from …`: the local names
_DESTRUCTURED = re.compile(r"\b(?:const|let|var|import)\s*\{([^}]*)\}")
_JS_GLOBALS = frozenset((
    "Array", "Boolean", "Buffer", "Date", "Error", "JSON", "Map", "Math", "Number", "Object",
    "Promise", "RangeError", "RegExp", "Set", "String", "Symbol", "TypeError", "URL",
    "WeakMap", "clearInterval", "clearTimeout", "console", "decodeURIComponent",
    "encodeURIComponent", "exports", "globalThis", "isFinite", "isNaN", "module", "parseFloat",
    "parseInt", "process", "require", "setInterval", "setTimeout"
))  # fmt: skip


def declared_names(source: str) -> set[str]:
    """Names a JS/TS file declares at any depth (functions, classes, variables, imports,
    destructured requires), read from its text: enough to spell-check a use against."""
    names = set(_DECLARED.findall(source))
    for group in _DESTRUCTURED.findall(source):
        for part in group.split(","):
            local = re.split(r"\s+as\s+|:", part)[-1].strip()
            if re.fullmatch(_IDENT, local):
                names.add(local)
    return names


@rule("js.undefined_name", languages=("javascript", "typescript", "tsx"))
def undefined_name(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """node's `ReferenceError: JSONCookei is not defined` at a line of the file → the
    one close name the file declares (or a JS global), renamed on that line only
    (expressjs/cookie-parser: `JSONCookei` → `JSONCookie`)."""
    match = _NOT_DEFINED.search(diag.message or "")
    lines = source.splitlines(keepends=True)
    if match is None or not 1 <= diag.line <= len(lines):
        return None
    bad = match.group("name")
    use = re.compile(rf"(?<![\w$.]){re.escape(bad)}(?![\w$])")  # not `obj.bad`
    if not use.search(lines[diag.line - 1]):
        return None
    good = closest_name(bad, declared_names(source) | _JS_GLOBALS)
    if good is None:
        return None
    lines[diag.line - 1] = use.sub(good, lines[diag.line - 1])
    return minimal_block(diag.file, source, "".join(lines))


# a line ending in one of these needs no comma after it (it opens, continues or ends one)
_NO_COMMA_AFTER = (",", "{", "[", "(", ";", ":", "=>", "=", "+", "-", "*", "/", "&&", "||", "?")
_COMMENT = ("//", "/*", "*")


@rule("js.missing_comma", languages=("javascript", "typescript", "tsx"))
def missing_comma(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """An object or array entry without its trailing `,` (`bold: init(1, 22)` before
    `dim: …`, as in lukeed/kleur) → add it at the end of the line before the error, when
    tree-sitter's reparse then has fewer errors and none left at or before that line."""
    before = tree_sitter_errors(diag, source) if diag.line >= 2 else []
    if not before:
        return None
    lines = source.splitlines(keepends=True)
    lineno = next(
        (n for n in range(min(diag.line, len(lines)) - 1, 0, -1) if lines[n - 1].strip()), 0
    )
    if not lineno:
        return None
    return end_line_with(diag.file, source, before, lineno, ",", _COMMENT, _NO_COMMA_AFTER)


_MISSING = re.compile(r"^missing `(?P<token>[)\]};])`$")


@rule("js.missing_token", languages=("javascript", "typescript", "tsx"))
def missing_token(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """tree-sitter's "missing `)`" (or `]`, `}`, `;`) names the token and where its parser
    needed it: insert it there (`isFinite(ms) {` → `isFinite(ms)) {`, as in vercel/ms),
    kept only when the file then parses with fewer errors and none at or before it."""
    match = _MISSING.match(diag.message)
    before = tree_sitter_errors(diag, source) if match else []
    if match is None or not before or diag.line < 1 or diag.column < 1:
        return None
    lines = source.splitlines(keepends=True)
    if diag.line > len(lines):
        return None
    raw = lines[diag.line - 1].encode()
    at = diag.column - 1  # tree-sitter's columns count bytes
    if at > len(raw.rstrip(b"\r\n")):
        return None
    try:
        line = (raw[:at] + match["token"].encode() + raw[at:]).decode()
    except UnicodeDecodeError:
        return None  # not a character boundary
    candidate = "".join(lines[: diag.line - 1]) + line + "".join(lines[diag.line :])
    after = check_source(diag.file, candidate.encode(), language_of(diag.file) or "")
    if len(after) < len(before) and all(d.line > diag.line for d in after):
        return minimal_block(diag.file, source, candidate)
    return None
