"""Python syntax rules: the faults whose CPython 3.11 message already implies the edit.

Each rule re-reads the file's first syntax error from `compile()` itself, so it works
whichever validator stage reported the fault (a tree-sitter parse, byte-compiling,
a pytest collection error) and whatever that stage's wording was. A rule generates a few
candidate texts and keeps the one that moves the parser furthest (the fault gone, or the
first error strictly later in the file). A fault whose fix is a guess (where a
triple-quoted string ends) is refused.
"""

from __future__ import annotations

import builtins
import io
import keyword
import re
import tokenize
from collections.abc import Iterable

from mom_cli.edits.blocks import EditBlock
from mom_cli.rules.registry import RuleContext, rule
from mom_cli.rules.textedit import indent_of, minimal_block, replace_line
from mom_cli.validate.diagnostics import Diagnostic

_SYNTAXISH = re.compile(
    r"syntax|indent|expected|never closed|unterminated|forgot a comma|unmatched|"
    r"does not match",
    re.IGNORECASE,
)
_SYNTAX_CODES = {"SyntaxError", "IndentationError", "E999", "invalid-syntax"}
# ruff's parser names the token it needed and where ("Expected `)`, found `->`")
_RUFF_EXPECTED = re.compile(r"^Expected `(?P<token>[)\]}])`, found ")
_NEVER_CLOSED = re.compile(r"^'([(\[{])' was never closed$")
_MISMATCH = re.compile(r"^closing parenthesis '([)\]}])' does not match opening parenthesis")
_CLOSER = {"(": ")", "[": "]", "{": "}"}
_OPENER = {v: k for k, v in _CLOSER.items()}
_MAX_SCAN_LINES = 20
Pos = tuple[int, int]
_CLEAN: Pos = (10**9, 0)


def first_error(source: str) -> SyntaxError | None:
    """CPython's first syntax error in `source`, or None when it compiles."""
    try:
        compile(source, "<mom-rule>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc
    except (ValueError, MemoryError, RecursionError):
        return SyntaxError("uncompilable")
    return None


def _cached_error(source: str, ctx: RuleContext) -> SyntaxError | None:
    key = f"py.compile:{hash(source)}"
    if key not in ctx.cache:
        ctx.cache[key] = first_error(source)
    value = ctx.cache[key]
    return value if isinstance(value, SyntaxError) else None


def _pos(err: SyntaxError | None) -> Pos:
    if err is None:
        return _CLEAN
    return (err.lineno or 0, err.offset or 0)


def best_candidate(source: str, err: SyntaxError, candidates: Iterable[str]) -> str | None:
    """The candidate that moves the first syntax error furthest (ties: the earliest given).

    A candidate that leaves the error where it was, or earlier, is no progress and is
    never chosen: a rule that cannot make progress refuses.
    """
    here = _pos(err)
    best: str | None = None
    best_pos = here
    for text in dict.fromkeys(candidates):
        if text == source:
            continue
        after = _pos(first_error(text))
        if after > best_pos:
            best, best_pos = text, after
    return best


def _applies(diag: Diagnostic, source: str, ctx: RuleContext) -> SyntaxError | None:
    """The file's first syntax error when `diag` is about a Python syntax fault."""
    syntaxish = diag.code in _SYNTAX_CODES or _SYNTAXISH.search(diag.message or "")
    if diag.stage not in ("syntax", "build") and not syntaxish:
        return None
    err = _cached_error(source, ctx)
    if err is None or not err.lineno:
        return None
    return err


def _lines(source: str) -> list[str]:
    return source.splitlines(keepends=True)


def _code_end(line: str) -> int:
    """Index just past the last code character of `line` (before a comment, if any)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line.rstrip("\r\n")).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return len(line.rstrip())
    end = 0
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            return len(line[: tok.start[1]].rstrip())
        if tok.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
            end = max(end, tok.end[1])
    return end or len(line.rstrip())


def _insert(source: str, lineno: int, col: int, text: str) -> str:
    lines = _lines(source)
    if not 1 <= lineno <= len(lines):
        return source
    line = lines[lineno - 1]
    col = max(0, min(col, len(line.rstrip("\r\n"))))
    return replace_line(source, lineno, line[:col] + text + line[col:])


def _block(diag: Diagnostic, source: str, new: str | None) -> EditBlock | None:
    return minimal_block(diag.file, source, new) if new else None


@rule("python.missing_colon", languages=("python",))
def missing_colon(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """`expected ':'` → insert the colon after the header's last code token."""
    err = _applies(diag, source, ctx)
    if err is None or err.msg != "expected ':'":
        return None
    line = _lines(source)[err.lineno - 1] if err.lineno else ""  # type: ignore[operator]
    at = len(line[: max(0, (err.offset or 1) - 1)].rstrip())
    cands = [_insert(source, err.lineno or 0, at, ":")]
    cands.append(_insert(source, err.lineno or 0, _code_end(line), ":"))
    return _block(diag, source, best_candidate(source, err, cands))


@rule("python.expected_closer", languages=("python",))
def expected_closer(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """ruff's "Expected `)`, found `->`" → that closer at ruff's column. CPython says only
    "invalid syntax" there (a stub's `def f(x: int -> int: ...`), so no rule keyed on its
    wording could act; the edit is kept only if the parser then gets further."""
    match = _RUFF_EXPECTED.match(diag.message or "")
    err = _applies(diag, source, ctx) if match else None
    if err is None or match is None or diag.line < 1 or diag.column < 1:
        return None
    lines = _lines(source)
    if diag.line > len(lines):
        return None
    at = len(lines[diag.line - 1][: diag.column - 1].rstrip())  # after the code, not the blank
    candidate = _insert(source, diag.line, at, match["token"])
    return _block(diag, source, best_candidate(source, err, [candidate]))


@rule("python.unclosed_bracket", languages=("python",))
def unclosed_bracket(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """`'(' was never closed` → close it at the end of the line that completes the expression."""
    err = _applies(diag, source, ctx)
    match = _NEVER_CLOSED.match(err.msg) if err else None
    if err is None or match is None:
        return None
    closer = _CLOSER[match.group(1)]
    lines = _lines(source)
    start = err.lineno or 1
    cands = []
    for k in range(start, min(len(lines), start + _MAX_SCAN_LINES) + 1):
        cands.append(_insert(source, k, _code_end(lines[k - 1]), closer))
    return _block(diag, source, best_candidate(source, err, cands))


@rule("python.mismatched_bracket", languages=("python",))
def mismatched_bracket(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """A closing bracket of the wrong kind, or one with no opener: fix or drop that one."""
    err = _applies(diag, source, ctx)
    if err is None or not err.lineno or not err.offset:
        return None
    line = _lines(source)[err.lineno - 1]
    col = err.offset - 1
    if col >= len(line):
        return None
    mismatch = _MISMATCH.match(err.msg)
    if mismatch:
        wanted = re.search(r"opening parenthesis '([(\[{])'", err.msg)
        if not wanted or line[col] != mismatch.group(1):
            return None
        new_line = line[:col] + _CLOSER[wanted.group(1)] + line[col + 1 :]
    elif re.fullmatch(r"unmatched '[)\]}]'", err.msg) and line[col] in _OPENER:
        new_line = line[:col] + line[col + 1 :]
    else:
        return None
    cand = replace_line(source, err.lineno, new_line)
    return _block(diag, source, best_candidate(source, err, [cand]))


def _reindent(source: str, first: int, last: int, old: str, new: str) -> str:
    """Lines first..last (1-based) with leading `old` indentation replaced by `new`."""
    lines = _lines(source)
    for k in range(first - 1, min(last, len(lines))):
        line = lines[k]
        if line.strip() and line.startswith(old):
            lines[k] = new + line[len(old) :]
    return "".join(lines)


def _previous_code_line(lines: list[str], lineno: int) -> str | None:
    for k in range(lineno - 2, -1, -1):
        stripped = lines[k].strip()
        if stripped and not stripped.startswith("#"):
            return lines[k]
    return None


def _run_end(lines: list[str], lineno: int, indent: str) -> int:
    """Last line of the run starting at `lineno` indented at least as deep as `indent`."""
    end = lineno
    for k in range(lineno, len(lines)):
        line = lines[k]
        if line.strip() and not line.startswith(indent):
            break
        end = k + 1
    return end


@rule("python.stray_indent", languages=("python",))
def stray_indent(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """`unexpected indent` → dedent the line (or its run) to the previous statement's level."""
    err = _applies(diag, source, ctx)
    if err is None or err.msg != "unexpected indent" or not err.lineno:
        return None
    lines = _lines(source)
    here = indent_of(lines[err.lineno - 1])
    prev = _previous_code_line(lines, err.lineno)
    target = indent_of(prev) if prev is not None else ""
    if len(target) >= len(here):
        return None
    run_end = _run_end(lines, err.lineno, here)
    cands = [
        _reindent(source, err.lineno, err.lineno, here, target),
        _reindent(source, err.lineno, run_end, here, target),
    ]
    return _block(diag, source, best_candidate(source, err, cands))


@rule("python.bad_unindent", languages=("python",))
def bad_unindent(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """`unindent does not match any outer indentation level` → snap to an enclosing level.

    The previous statement's level is tried first (a partial dedent is usually a slip
    while continuing the same block), then the other open levels, nearest first.
    """
    err = _applies(diag, source, ctx)
    if err is None or not err.msg.startswith("unindent does not match") or not err.lineno:
        return None
    lines = _lines(source)
    here = indent_of(lines[err.lineno - 1])
    prev = _previous_code_line(lines, err.lineno)
    levels: list[str] = [indent_of(prev)] if prev is not None else []
    for k in range(err.lineno - 2, -1, -1):
        if lines[k].strip() and not lines[k].lstrip().startswith("#"):
            levels.append(indent_of(lines[k]))
    ordered = list(
        dict.fromkeys(levels[:1] + sorted(levels[1:], key=lambda s: abs(len(s) - len(here))))
    )
    cands = [_reindent(source, err.lineno, err.lineno, here, level) for level in ordered]
    return _block(diag, source, best_candidate(source, err, cands))


@rule("python.expected_indent", languages=("python",))
def expected_indent(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """`expected an indented block after … on line N` → indent the line under its header."""
    err = _applies(diag, source, ctx)
    if err is None or not err.msg.startswith("expected an indented block") or not err.lineno:
        return None
    lines = _lines(source)
    header = re.search(r"on line (\d+)", err.msg)
    head_line = (
        lines[int(header.group(1)) - 1] if header else _previous_code_line(lines, err.lineno)
    )
    if head_line is None:
        return None
    here = indent_of(lines[err.lineno - 1])
    unit = "\t" if indent_of(head_line).startswith("\t") else "    "
    target = indent_of(head_line) + unit
    cand = _reindent(source, err.lineno, err.lineno, here, target)
    return _block(diag, source, best_candidate(source, err, [cand]))


_ATOM_END = {tokenize.NAME, tokenize.NUMBER, tokenize.STRING}
_CLOSE_OPS = {")", "]", "}"}
_OPEN_OPS = {"(", "[", "{"}


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    out: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            out.append(tok)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return out


def _ends_atom(tok: tokenize.TokenInfo) -> bool:
    if tok.type == tokenize.NAME:
        return not keyword.iskeyword(tok.string) or tok.string in ("True", "False", "None")
    return tok.type in _ATOM_END or (tok.type == tokenize.OP and tok.string in _CLOSE_OPS)


def _starts_atom(tok: tokenize.TokenInfo) -> bool:
    if tok.type == tokenize.NAME:
        return not keyword.iskeyword(tok.string) or tok.string in (
            "True",
            "False",
            "None",
            "lambda",
            "not",
        )
    return tok.type in _ATOM_END or (
        tok.type == tokenize.OP and tok.string in _OPEN_OPS | {"-", "+", "*"}
    )


@rule("python.missing_comma", languages=("python",))
def missing_comma(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """`Perhaps you forgot a comma?` → a comma between two adjacent items in the flagged span."""
    err = _applies(diag, source, ctx)
    if err is None or "forgot a comma" not in err.msg or not err.lineno or not err.offset:
        return None
    start = (err.lineno, err.offset - 1)
    end = (err.end_lineno or err.lineno, (err.end_offset or err.offset) - 1)
    toks = [
        t
        for t in _tokens(source)
        if start <= t.start and t.end <= end and t.type not in (tokenize.NL, tokenize.COMMENT)
    ]
    cands = []
    for left, right in zip(toks, toks[1:], strict=False):
        if left.end != right.start and _ends_atom(left) and _starts_atom(right):
            cands.append(_insert(source, left.end[0], left.end[1], ","))
    return _block(diag, source, best_candidate(source, err, cands))


_PREFIX = re.compile(r"[rRbBfFuU]{0,2}")
_KNOWN = set(dir(builtins)) | set(keyword.kwlist)


def _names_ok(candidate: str, tail: str) -> bool:
    """No identifier in the code after the new closing quote is unknown to the module.

    Guards against closing a string early: `print('hello, world)` must not become
    `print('hello', world)` when `world` is defined nowhere.
    """
    known = _KNOWN | set(re.findall(r"\b([A-Za-z_]\w*)\s*=", candidate))
    known |= set(re.findall(r"(?:def|class|import|as)\s+([A-Za-z_]\w*)", candidate))
    for tok in _tokens(tail + "\n"):
        if tok.type == tokenize.NAME and tok.string not in known:
            return False
        if tok.type == tokenize.COMMENT:
            break
    return True


@rule("python.unterminated_string", languages=("python",))
def unterminated_string(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """`unterminated string literal` → close it where the rest of the line stays valid code.

    Triple-quoted strings are refused: where such a string was meant to end is a guess.
    """
    err = _applies(diag, source, ctx)
    if err is None or not err.msg.startswith("unterminated string literal"):
        return None
    if not err.lineno or not err.offset:
        return None
    line = _lines(source)[err.lineno - 1]
    body = line.rstrip("\r\n")
    i = err.offset - 1
    i += len(_PREFIX.match(body, i).group(0))  # type: ignore[union-attr]
    if i >= len(body) or body[i] not in "'\"":
        return None
    quote = body[i]
    # The shortest string that leaves valid code is the likeliest: try delimiters left to
    # right, the end of the line last.
    spots = [j for j in range(i + 1, len(body)) if body[j] in ")]},:" or body[j : j + 2] == " #"]
    spots.append(len(body.rstrip()))
    cands = []
    for j in dict.fromkeys(spots):
        if j <= i:
            continue
        cand = replace_line(source, err.lineno, body[:j] + quote + body[j:])
        if _names_ok(cand, body[j:]):
            cands.append(cand)
    return _block(diag, source, best_candidate(source, err, cands))
