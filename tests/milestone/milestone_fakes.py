"""Deterministic stand-ins for the model and the validator, shared by the milestone tests
(and by the crash-test subprocesses, which import this file by path)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path

from mom_cli.config import MomConfig, load_config
from mom_cli.providers.base import Availability, Completion, CompletionRequest
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.result import StageResult, ValidationResult

Script = Callable[[CompletionRequest, str], str]


def whole_file(path: str, body: str) -> str:
    return f"{path}\n```python\n{body}```\n"


class ScriptedCaller:
    """A ModelCaller whose replies come from `script(request, model)`.

    Only models in `usable` are available; the rest report `GROQ_API_KEY not set`-style
    reasons. Every call is logged with its task id, and `delay` makes calls overlap.
    """

    def __init__(
        self, script: Script, usable: tuple[str, ...] = ("smollm2",), delay: float = 0.0
    ) -> None:
        self.script = script
        self.usable = usable
        self.delay = delay
        self.calls: list[tuple[str, str]] = []  # (task_id, model)
        self.in_progress = 0
        self.peak = 0

    def availability(self, model: str) -> Availability:
        if model in self.usable:
            return Availability(True, "", ("fake",))
        return Availability(False, f"{model.split('-')[0].upper()}_API_KEY not set")

    def in_flight(self, model: str) -> int:
        return self.in_progress

    async def complete(
        self, request: CompletionRequest, *, model: str, run_id: str = "", task_id: str = ""
    ) -> Completion:
        self.calls.append((task_id, model))
        self.in_progress += 1
        self.peak = max(self.peak, self.in_progress)
        try:
            await asyncio.sleep(self.delay)
            content = self.script(request, model)
        finally:
            self.in_progress -= 1
        return Completion(content, model, model, "fake", "local", "fake", 100, 20, 0.0, 1.0)


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
    root.mkdir(parents=True, exist_ok=True)
    (root / "MILESTONES.md").write_bytes(plan.encode())
    for rel, body in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(body)
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
        "PATH": "/usr/bin:/bin",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env)
    return root
