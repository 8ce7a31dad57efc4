"""Deterministic stand-ins for the model and the validator, shared by the milestone tests
(and by the crash-test subprocesses, which import this file by path)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared fakes, git_repos

from fakes.scripted import ScriptedCaller  # noqa: E402
from git_repos import init_repo  # noqa: E402

from mom_cli.config import MomConfig, load_config  # noqa: E402
from mom_cli.ledger.store import Ledger  # noqa: E402
from mom_cli.providers.base import CompletionRequest  # noqa: E402
from mom_cli.validate.diagnostics import Diagnostic  # noqa: E402
from mom_cli.validate.result import StageResult, ValidationResult  # noqa: E402

__all__ = ["ScriptedCaller"]

Script = Callable[[CompletionRequest, str], str]


def whole_file(path: str, body: str) -> str:
    return f"{path}\n```python\n{body}```\n"


def scripted(
    script: Script,
    usable: tuple[str, ...] = ("smollm2",),
    delay: float = 0.0,
    ledger: Ledger | None = None,
) -> ScriptedCaller:
    """The shared scripted caller answering `script(request, model)`; only `usable`
    models are available and `delay` makes calls overlap."""
    return ScriptedCaller(
        usable=usable, latency=delay, ledger=ledger, default=lambda model, req: script(req, model)
    )


def last_user(request: CompletionRequest) -> str:
    return [m.content for m in request.messages if m.role == "user"][-1]


async def compile_validator(repo: Path, files: list[str]) -> ValidationResult:
    """Syntax via compile(); a file containing `BROKEN` fails a pretend test stage."""
    syntax = StageResult("syntax", True)
    for rel in files:
        path = repo / rel
        if not path.is_file() or not rel.endswith(".py"):
            continue
        source = path.read_text()
        try:
            compile(source, rel, "exec")
        except SyntaxError as exc:
            syntax.passed = False
            syntax.diagnostics.append(Diagnostic("syntax", rel, exc.lineno or 0, str(exc)))
    if not syntax.passed:
        return ValidationResult(False, [syntax], files)
    tests = StageResult("tests", True)
    for rel in files:
        path = repo / rel
        if path.is_file() and "BROKEN" in path.read_text():
            tests.passed = False
            tests.diagnostics.append(Diagnostic("tests", rel, 1, "test_feature failed"))
    return ValidationResult(tests.passed, [syntax, tests], files)


def fake_config() -> MomConfig:
    cfg = load_config(environ={}).config
    cfg.routing.max_concurrent_tasks = 4
    return cfg


def make_repo(root: Path, plan: str, files: dict[str, str] | None = None) -> Path:
    """A committed repo holding the plan (MILESTONES.md) and `files`."""
    return init_repo(root, {"MILESTONES.md": plan.encode(), **(files or {})})
