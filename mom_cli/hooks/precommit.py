"""The pre-commit hook: validate exactly the staged content, block the commit on failure.

Run by the hook script as `python -m mom_cli.hooks.precommit` from the top of the work
tree. Stages: syntax, build and lint, plus the affected tests when
`validation.hook_run_tests` is set. No model is called unless `validation.hook_use_model`
is set; then the local tier reviews the staged diff (mom_cli.providers.review; an
unparseable review is a warning, never a block).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from mom_cli.config import load_config
from mom_cli.errors import MomError
from mom_cli.terminal_text import visible
from mom_cli.validate.pipeline import Reviewer, validate_staged
from mom_cli.validate.report import format_text
from mom_cli.validate.result import ValidationResult


def _say(text: str) -> None:
    """Hook output on stderr, file names and tool output in it shown with their control
    characters escaped (a staged file's name or a linter's message could move the cursor
    or retitle the terminal of whoever commits)."""
    sys.stderr.write(visible(text) + "\n")


def run_hook(
    repo: Path, config_path: Path | None = None, reviewer: Reviewer | None = None
) -> ValidationResult:
    """Validate the index of `repo`; pass `reviewer` only when hook_use_model is set."""
    loaded = load_config(repo=repo, config_path=config_path)
    if loaded.trust_warning():
        _say(f"mom pre-commit: warning: {loaded.trust_warning()}")
    cfg = loaded.config.validation
    return validate_staged(repo, config=cfg, reviewer=reviewer if cfg.hook_use_model else None)


def _model_reviewer(repo: Path, config_path: Path | None) -> Reviewer | None:
    """The local-tier reviewer when `hook_use_model` is on (the model loads only then)."""
    config = load_config(repo=repo, config_path=config_path).config
    if not config.validation.hook_use_model:
        return None
    from mom_cli.providers.review import hook_reviewer

    reviewer = hook_reviewer(config)
    if reviewer is None:
        sys.stderr.write("mom pre-commit: hook_use_model is on but no local model is usable\n")
    return reviewer


def _toplevel() -> Path:
    out = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True
    )
    return Path(out.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mom-pre-commit", description=__doc__)
    parser.add_argument("--repo", type=Path, default=None)
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("files", nargs="*", help="ignored: the index decides what is checked")
    args = parser.parse_args(argv)
    try:
        repo = (args.repo or _toplevel()).resolve()
        result = run_hook(repo, args.config, _model_reviewer(repo, args.config))
    except (MomError, subprocess.CalledProcessError) as exc:
        _say(f"mom pre-commit: {exc}")
        return 2
    if not result.passed or result.diagnostics:
        _say(format_text(result))
    if not result.passed:
        sys.stderr.write("mom: commit blocked. Fix the above, or skip once with --no-verify.\n")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
