"""Finding and running the project's own tools for rules (bounded, never raising)."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from mom_cli.validate.detect import detect_project
from mom_cli.validate.runner import run_command

TOOL_TIMEOUT = 60.0


def find_tool(name: str, repo: Path) -> str | None:
    """The project's virtualenv copy of `name`, then mom's own, then PATH."""
    for venv in (".venv", "venv"):
        candidate = repo / venv / "bin" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    own = Path(sys.executable).parent / name
    if own.is_file() and os.access(own, os.X_OK):
        return str(own)
    return shutil.which(name)


@dataclass(frozen=True)
class ToolResult:
    returncode: int
    stdout: str
    stderr: str


def run_tool(
    argv: list[str], cwd: Path, stdin: str | None = None, timeout: float = TOOL_TIMEOUT
) -> ToolResult | None:
    """Run `argv` sandboxed in its own process group (the whole group is killed on
    timeout, as validation does); None when it cannot run or times out."""
    try:
        result = run_command(argv, cwd, timeout=timeout, stdin=stdin)
    except (OSError, ValueError):
        return None
    if result.timed_out:
        return None
    return ToolResult(result.returncode, result.stdout, result.stderr)


RULE_TOOLS = {
    "ruff": "Python: ruff's safe/unsafe fixes and ruff format",
    "black": "Python: formatting, for projects that use black",
    "cargo": "Rust: rustc/clippy MachineApplicable suggestions",
    "gofmt": "Go: formatting",
    "goimports": "Go: adding and removing imports",
}


RULE_TOOL_KIND = {
    "ruff": "python",
    "black": "python",
    "cargo": "rust",
    "gofmt": "go",
    "goimports": "go",
}  # the project kind (validate.detect) each rule tool serves


def missing_rule_tools(repo: Path) -> dict[str, str]:
    """Tools tier-0 rules would use on this project that are absent here (for `mom
    doctor`); their rules are skipped, never failed. A tool for a language the project
    does not have is left out: on a JavaScript project (lukeed/kleur) doctor warned that
    black and gofmt were missing. With no project kind found, every tool is listed."""
    kinds = detect_project(repo).kinds
    return {
        name: why
        for name, why in RULE_TOOLS.items()
        if (not kinds or RULE_TOOL_KIND[name] in kinds) and find_tool(name, repo) is None
    }
