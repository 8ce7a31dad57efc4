"""ruff-backed rules: its safe fixes, its unsafe fixes (strict), and formatting.

ruff runs from the project's root so the project's own configuration applies, on the
file's current text through stdin; the rule turns ruff's output into an ordinary edit.
Formatting is proposed only when the project already formats with ruff or black: mom
must not restyle code its owners never asked to be formatted.
"""

from __future__ import annotations

import re
import tomllib

from mom_cli.edits.blocks import EditBlock
from mom_cli.rules.registry import RuleContext, rule
from mom_cli.rules.textedit import minimal_block
from mom_cli.rules.tools import find_tool, run_tool
from mom_cli.validate.diagnostics import Diagnostic

_RUFF_CODE = re.compile(r"^[A-Z]{1,4}\d{1,4}$")
FORMAT_CODE = "format"


def _ruff_fix(diag: Diagnostic, source: str, ctx: RuleContext, *, unsafe: bool) -> str | None:
    if not _RUFF_CODE.match(diag.code or "") or diag.tool not in ("", "ruff"):
        return None
    ruff = find_tool("ruff", ctx.repo)
    if ruff is None:
        return None
    argv = [ruff, "check", "--fix", "--no-cache", "--quiet", "--select", diag.code]
    argv += ["--unsafe-fixes"] if unsafe else ["--no-unsafe-fixes"]
    argv += ["--stdin-filename", diag.file, "-"]
    result = run_tool(argv, ctx.repo, stdin=source)
    if result is None or result.returncode not in (0, 1) or not result.stdout:
        return None
    return result.stdout


@rule("python.ruff_fix", languages=("python",))
def ruff_fix(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """A ruff diagnostic with a safe fix → `ruff check --fix --select CODE` on the file."""
    fixed = _ruff_fix(diag, source, ctx, unsafe=False)
    return minimal_block(diag.file, source, fixed) if fixed else None


@rule("python.ruff_unsafe_fix", languages=("python",), strict=True)
def ruff_unsafe_fix(diag: Diagnostic, source: str, ctx: RuleContext) -> EditBlock | None:
    """ruff's unsafe fix, only when the safe one does nothing; kept only if all checks pass."""
    if _ruff_fix(diag, source, ctx, unsafe=False) not in (None, source):
        return None
    fixed = _ruff_fix(diag, source, ctx, unsafe=True)
    return minimal_block(diag.file, source, fixed) if fixed else None


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
        argv = [tool, "format", "--no-cache", "--quiet", "--stdin-filename", diag.file, "-"]
    else:
        argv = [tool, "-q", "--stdin-filename", diag.file, "-"]
    result = run_tool(argv, ctx.repo, stdin=source)
    if result is None or result.returncode != 0 or not result.stdout:
        return None
    return minimal_block(diag.file, source, result.stdout)
