"""The four-stage validator: syntax → (local-model review) → build → tests → lint.

Public API:
    validate_paths(repo, paths, config=cfg.validation, reviewer=None, early_exit=True)
    validate_project(repo, config=..., early_exit=True)
    validate_staged(repo, config=..., tests=None, reviewer=None)   # the pre-commit hook
    run_validation(root, files|None, config=..., stages=[...], ...)  # the engine
    ValidationResult: .passed, .stages[StageResult], .diagnostics, .failed_stage,
                      .prompt_text() (for retry prompts), .to_dict()
Stages run the project's own toolchain (configured → project venv → PATH) with a
timeout, in their own process group, and record which tool they used.
"""

from mom_cli.validate.pipeline import (
    Reviewer,
    run_validation,
    validate_paths,
    validate_project,
    validate_staged,
)
from mom_cli.validate.result import StageResult, ValidationResult

__all__ = [
    "Reviewer",
    "StageResult",
    "ValidationResult",
    "run_validation",
    "validate_paths",
    "validate_project",
    "validate_staged",
]
