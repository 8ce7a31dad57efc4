"""ruff-backed rules: its safe fixes, its unsafe fixes (strict), and formatting.

ruff runs from the project's root so the project's own configuration applies, on the
file's current text through stdin; the rule turns ruff's output into an ordinary edit.
Formatting is proposed only when the project already formats with ruff or black: mom
must not restyle code its owners never asked to be formatted.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from typing import Any

from mom_cli.edits.blocks import EditBlock
from mom_cli.rules.registry import RuleContext, rule
from mom_cli.rules.textedit import minimal_block
from mom_cli.rules.tools import find_tool, run_tool
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.lint import ruff_rule_args
from mom_cli.validate.operands import path_option
from mom_cli.validate.ruff_edits import apply_ruff_edits, deletes_a_call

_UNUSED_IMPORT = "F401"
_FOLLOW_UP_ROUNDS = 3
_RUFF_CODE = re.compile(r"^[A-Z]{1,4}\d{1,4}$")
FORMAT_CODE = "format"


def _ruff_fix(diag: Diagnostic, source: str, ctx: RuleContext, *, unsafe: bool) -> str | None:
    """`source` with ruff's fix for exactly this finding (None: no fix of that safety).

    Only the targeted finding is fixed, never every finding of its code in the file:
    `ruff check --fix --select F401` would also delete unused imports that were committed
    long ago, which the validator reports as pre-existing and the user never asked about.
    """
    if not _RUFF_CODE.match(diag.code or "") or diag.tool not in ("", "ruff", "flake8"):
        return None  # flake8's pyflakes/pycodestyle codes are ruff's codes for the same rule
    ruff = find_tool("ruff", ctx.repo)
    if ruff is None:
        return None
    wanted = "unsafe" if unsafe else "safe"
    for item in _findings(ruff, diag.code, diag.file, source, ctx) or []:
        location = item.get("location") or {}
        if item.get("code") != diag.code or location.get("row") != diag.line:
            continue
        if diag.column and diag.tool != "flake8" and location.get("column") != diag.column:
            continue
        fix = item.get("fix") or {}
        if fix.get("applicability") != wanted:
            return None
        if unsafe and deletes_a_call(source, fix.get("edits") or []):
            return None  # the user's statement, not a lint detail: no test proves it unneeded
        fixed = apply_ruff_edits(source, fix.get("edits") or [])
        if fixed is None:
            return None
        # flake8 judges a flake8 project: only the imports a fix left unused follow it
        codes = _UNUSED_IMPORT if diag.tool == "flake8" else None
        return _follow_up_fixes(ruff, diag.file, source, fixed, ctx, codes)
    return None


def _findings(
    ruff: str, code: str | None, file: str, source: str, ctx: RuleContext
) -> list[dict[str, Any]] | None:
    """ruff's findings of `code` in `source`, every finding the lint stage would report
    when `code` is None (None: ruff failed)."""
    argv = [ruff, "check", "--output-format=json", "--no-fix", "--no-cache"]
    argv += ["--select", code] if code else ruff_rule_args(ctx.repo)
    argv += [path_option("--stdin-filename", file), "-"]
    result = run_tool(argv, ctx.repo, stdin=source)
    if result is None or result.returncode not in (0, 1):
        return None
    try:
        items = json.loads(result.stdout or "[]")
    except ValueError:
        return None
    return items if isinstance(items, list) else None


def _follow_up_fixes(
    ruff: str, file: str, source: str, fixed: str, ctx: RuleContext, codes: str | None
) -> str:
    """`fixed` plus ruff's safe fixes for the findings the fix itself created, in rounds,
    as `ruff check --fix` loops. Removing `import json` from between two blank lines
    leaves an import block isort's rule (I001) rejects: the fix sank on python-humanize;
    UP045 turns `Optional[int]` into `int | None` and leaves `Optional` imported (F401).
    Findings `source` already had are not the fix's to touch; a new finding without a safe
    fix leaves `fixed` as it is, for the validator to judge."""
    before = _findings(ruff, codes, file, source, ctx)
    if before is None:
        return fixed
    old = [(item, source) for item in before]
    for _ in range(_FOLLOW_UP_ROUNDS):
        new = _new_findings(
            old, [(item, fixed) for item in _findings(ruff, codes, file, fixed, ctx) or []]
        )
        fixes = [item.get("fix") or {} for item in new]
        if not new or any(fix.get("applicability") != "safe" for fix in fixes):
            return fixed
        following = apply_ruff_edits(fixed, [e for fix in fixes for e in fix.get("edits") or []])
        if following is None or following == fixed:
            return fixed
        fixed = following
    return fixed


Located = tuple[dict[str, Any], str]  # a finding and the text it was found in


def _new_findings(old: list[Located], now: list[Located]) -> list[dict[str, Any]]:
    """The findings of `now` that `old` did not have. A finding is its code and message
    (wherever the fix moved it), on the same line text when that tells apart findings
    with one message (I001 reads the same for every import block); what no line matches
    is then paired by code and message alone (a follow-up fix may edit the line itself)."""
    exact = Counter(_finding_key(item, text) for item, text in old)
    loose = Counter(_finding_key(item, text)[:2] for item, text in old)
    unmatched = []
    for item, text in now:
        key = _finding_key(item, text)
        if exact[key] > 0:
            exact[key] -= 1
            loose[key[:2]] -= 1
        else:
            unmatched.append((item, key))
    new = []
    for item, key in unmatched:
        if loose[key[:2]] > 0:
            loose[key[:2]] -= 1
        else:
            new.append(item)
    return new


def _finding_key(item: dict[str, Any], text: str) -> tuple[str, str, str]:
    """A finding's code, message and the stripped line it is on."""
    lines = text.splitlines()
    row = int((item.get("location") or {}).get("row") or 0)
    line = lines[row - 1].strip() if 1 <= row <= len(lines) else ""
    return str(item.get("code")), str(item.get("message")), line


@rule("python.ruff_fix", languages=("python",))
def ruff_fix(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """A ruff diagnostic with a safe fix → ruff's fix for that one finding."""
    fixed = _ruff_fix(diag, source, ctx, unsafe=False)
    return minimal_block(diag.file, source, fixed) if fixed is not None else None


@rule("python.ruff_unsafe_fix", languages=("python",), strict=True)
def ruff_unsafe_fix(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """ruff's unsafe fix (for findings with no safe one); kept only if all checks pass."""
    fixed = _ruff_fix(diag, source, ctx, unsafe=True)
    return minimal_block(diag.file, source, fixed) if fixed is not None else None


def project_formatter(ctx: RuleContext) -> str | None:
    """ "ruff" or "black" when the project's config shows it formats with one, else None."""
    cached = ctx.cache.get("py.formatter", "?")
    if cached != "?":
        return cached if isinstance(cached, str) else None
    found: str | None = None
    pyproject = ctx.read("pyproject.toml") or ""
    try:
        tool = tomllib.loads(pyproject).get("tool", {}) if pyproject else {}
    except tomllib.TOMLDecodeError:
        tool = {}
    precommit = ctx.read(".pre-commit-config.yaml") or ""
    ruff_toml = (ctx.read("ruff.toml") or "") + (ctx.read(".ruff.toml") or "")
    if "format" in tool.get("ruff", {}) or "[format]" in ruff_toml or "ruff-format" in precommit:
        found = "ruff"
    elif "black" in tool or re.search(r"\bblack\b", precommit):
        found = "black"
    ctx.cache["py.formatter"] = found
    return found


@rule("python.format", languages=("python",))
def format_file(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """A "would reformat" diagnostic → the project's own formatter on the file."""
    if diag.code != FORMAT_CODE:
        return None
    formatter = project_formatter(ctx)
    if formatter is None:
        return None
    tool = find_tool(formatter, ctx.repo)
    if tool is None:
        return None
    if formatter == "ruff":
        argv = [tool, "format", "--no-cache", "--quiet", path_option("--stdin-filename", diag.file)]
        argv.append("-")
    else:
        argv = [tool, "-q", path_option("--stdin-filename", diag.file), "-"]
    result = run_tool(argv, ctx.repo, stdin=source)
    if result is None or result.returncode != 0 or not result.stdout:
        return None
    return minimal_block(diag.file, source, result.stdout)
