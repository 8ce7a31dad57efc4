"""Shared helpers for rule tests: running one rule on real text."""

from __future__ import annotations

from pathlib import Path

from mom_cli.edits.match import apply_block
from mom_cli.rules.registry import RuleContext, all_rules, propose
from mom_cli.validate.diagnostics import Diagnostic


def fix_with(
    name: str, diag: Diagnostic, source: str, repo: Path, files: tuple[str, ...] = ()
) -> str | None:
    """The text after rule `name`'s edit, or None when it refuses."""
    rule = next(r for r in all_rules() if r.name == name)
    block = rule.fn(diag, source, RuleContext(repo, files))
    return None if block is None else apply_block(source, block)


def proposals(diag: Diagnostic, source: str, repo: Path) -> list[str]:
    return [r.name for r, _ in propose(diag, source, RuleContext(repo))]
