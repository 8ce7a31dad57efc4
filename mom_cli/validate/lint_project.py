"""Which Python linters the project itself configures, and flake8 for those that chose it.

A project's CI runs its own linters, so "lint passes" must mean them:
- ruff when it has a ruff config (pyproject `[tool.ruff]`, ruff.toml, .ruff.toml) or a
  pre-commit hook naming ruff (then with ruff's historic defaults unless configured);
- flake8 when it has a flake8 section where flake8 reads one (setup.cfg, tox.ini, .flake8)
  or a pre-commit hook naming flake8, and flake8 can be run here (the project venv, PATH,
  or mom's own interpreter); otherwise (also for pyproject `[tool.flake8]`, which needs a
  flake8 plugin) mom's pinned ruff rules stand in, filtered through the flake8 settings;
- neither: mom's pinned ruff rules (lint.DEFAULT_RUFF_RULES).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.lint_config import read_flake8_config
from mom_cli.validate.parsers import relpath
from mom_cli.validate.runner import Tool, resolve_tool

_PRE_COMMIT = (".pre-commit-config.yaml", ".pre-commit-config.yml")
_HOOK_ID = re.compile(r"^\s*-?\s*id:\s*['\"]?([\w-]+)", re.MULTILINE)
# flake8's default --format: path:row:col: CODE text
_FLAKE8_LINE = re.compile(
    r"^(?P<path>.+?):(?P<row>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<text>.*)$"
)


@dataclass(frozen=True)
class ProjectLinters:
    ruff: bool  # the project runs ruff (configured, or a pre-commit hook)
    flake8: bool  # the project runs flake8 (configured, or a pre-commit hook)
    source: str  # where that was read, for notes


def pre_commit_hooks(root: Path) -> set[str]:
    for name in _PRE_COMMIT:
        try:
            text = (root / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        return set(_HOOK_ID.findall(text))
    return set()


def project_linters(root: Path, has_ruff_config: bool) -> ProjectLinters:
    hooks = pre_commit_hooks(root)
    flake8_cfg = read_flake8_config(root)
    ruff = has_ruff_config or bool(hooks & {"ruff", "ruff-check"})
    # flake8 itself does not read pyproject.toml (that takes a plugin): there, mom's ruff
    # stands in and applies the settings (lint_config)
    own = flake8_cfg is not None and flake8_cfg.source != "pyproject.toml"
    flake8 = own or "flake8" in hooks
    sources = []
    if has_ruff_config:
        sources.append("ruff config")
    if flake8_cfg is not None:
        sources.append(f"flake8 in {flake8_cfg.source}")
    if hooks & {"ruff", "ruff-check", "flake8"}:
        sources.append("pre-commit")
    return ProjectLinters(ruff, flake8, ", ".join(sources) or "none (mom's defaults)")


def flake8_tool(repo: Path) -> Tool | None:
    """flake8: project venv → PATH → mom's own interpreter (the dev extra) → None."""
    tool = resolve_tool(repo, "flake8")
    if tool is not None:
        return tool
    if importlib.util.find_spec("flake8") is not None:
        return Tool((sys.executable, "-m", "flake8"), "mom")
    return None


def parse_flake8(output: str, root: Path, display: str | None = None) -> list[Diagnostic]:
    """flake8's default output as lint diagnostics (`display`: the path for stdin runs)."""
    found = []
    for line in output.splitlines():
        match = _FLAKE8_LINE.match(line.strip())
        if match is None:
            continue
        path = display or relpath(match["path"], root)
        code = match["code"]
        found.append(
            Diagnostic(
                "lint",
                path.removeprefix("./"),
                int(match["row"]),
                match["text"],
                "error",
                int(match["col"]),
                "syntax" if code == "E999" else code,
                "flake8",
            )
        )
    return found
