"""Shared helpers for rule tests: temp git repos and running one rule on real text."""

from __future__ import annotations

import subprocess
from pathlib import Path

from mom_cli.edits.match import apply_block
from mom_cli.rules.registry import RuleContext, all_rules, propose
from mom_cli.validate.diagnostics import Diagnostic


def make_repo(root: Path, files: dict[str, str]) -> Path:
    """A committed git repo holding `files`."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=root, check=True)
    return root


def fix_with(
    name: str, diag: Diagnostic, source: str, repo: Path, files: tuple[str, ...] = ()
) -> str | None:
    """The text after rule `name`'s edit, or None when it refuses."""
    rule = next(r for r in all_rules() if r.name == name)
    block = rule.fn(diag, source, RuleContext(repo, files))
    return None if block is None else apply_block(source, block)


def proposals(diag: Diagnostic, source: str, repo: Path) -> list[str]:
    return [r.name for r, _ in propose(diag, source, RuleContext(repo))]
