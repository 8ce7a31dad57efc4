"""Stage 3: do the tests pass? The affected tests first (Python: test files that import a
changed module, found through imports), then the full suite when `validation.full_tests`
is set or the whole project is being validated. pytest, cargo test, go test and npm test
output is parsed into one diagnostic per failing test."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from mom_cli.tempdirs import temp_dir
from mom_cli.validate.build import cargo_env
from mom_cli.validate.detect import project_files
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.failure_keys import GENERIC_TOOL
from mom_cli.validate.jsfailures import parse_js_stack
from mom_cli.validate.operands import path_operands
from mom_cli.validate.parsers import parse_generic
from mom_cli.validate.pyimports import dotted_name, imported_names, is_test_file
from mom_cli.validate.result import StageContext, StageResult, trim
from mom_cli.validate.runner import (
    CommandResult,
    Tool,
    failure_diagnostic,
    project_python,
    resolve_tool,
    run_command,
)
from mom_cli.validate.testparse import parse_cargo_test, parse_go_test, parse_junit, parse_tap

NOT_ITS_SUMMARY = (
    "pytest was stopped after a summary that was not its own (it had written no report): "
    "the run is incomplete"
)


def run_tests_stage(ctx: StageContext) -> StageResult:
    started = time.monotonic()
    cfg = ctx.config
    if cfg.test_command.strip():
        tool = Tool(cfg.test_command, "config")
        result = run_command(
            tool.command(), ctx.root, timeout=ctx.timeout, idle_after_summary=ctx.idle_after_summary
        )
        diags = _parse_any(result.output, ctx.root)
        return _finish(tool, result, diags, started)
    if ctx.project.has("rust"):
        return _cargo_test(ctx, started)
    if ctx.project.has("go") and (go := resolve_tool(ctx.repo, "go")):
        result = run_command(
            go.command("test", "./..."),
            ctx.root,
            timeout=ctx.timeout,
            idle_after_summary=ctx.idle_after_summary,
        )
        return _finish(go, result, parse_go_test(result.output, ctx.root), started)
    if (ctx.project.has("node") or ctx.project.has("typescript")) and _has_npm_test(ctx.root):
        npm = resolve_tool(ctx.repo, "npm")
        if npm is not None:
            result = run_command(
                npm.command("test", "--silent"),
                ctx.root,
                timeout=ctx.timeout,
                idle_after_summary=ctx.idle_after_summary,
            )
            found = parse_tap(result.output, root=ctx.root)
            if not found and result.returncode != 0:
                found = parse_js_stack(result.output, ctx.root)
            return _finish(npm, result, found, started)
    if ctx.project.has("python") or ctx.files_of("python"):
        return _pytest(ctx, started)
    return StageResult("tests", True, 0.0, skipped=True, note="no test runner for this project")


def affected_python_tests(root: Path, changed: list[str], all_files: list[str]) -> list[str]:
    """Test files that changed, sit under a changed conftest, or import a changed module
    (directly, or through a package `__init__` that re-exports it)."""
    py_files = sorted({*(f for f in all_files if f.endswith(".py")), *changed})
    modules = {name: f for f in py_files if (name := dotted_name(root, f))}
    changed_py = [f for f in changed if f.endswith(".py")]
    picked = {f for f in changed_py if is_test_file(f)}
    conftest_dirs = [str(PurePosixPath(f).parent) for f in changed_py if f.endswith("conftest.py")]
    targets = {m for f in changed_py if not is_test_file(f) and (m := dotted_name(root, f))}
    deps_cache: dict[str, set[str]] = {}

    def deps(rel: str) -> set[str]:
        if rel not in deps_cache:
            try:
                source = (root / rel).read_text(encoding="utf-8", errors="replace")
            except OSError:
                source = ""
            names = imported_names(source, dotted_name(root, rel) or "")
            deps_cache[rel] = {m for n in names if (m := _known_prefix(n, modules))}
        return deps_cache[rel]

    def reaches(rel: str) -> bool:
        direct = deps(rel)
        if direct & targets:
            return True
        packages = [modules[d] for d in direct if modules[d].endswith("__init__.py")]
        return any(deps(init) & targets for init in packages)

    for test in (f for f in all_files if is_test_file(f)):
        in_conftest_dir = any(d == "." or test.startswith(d + "/") for d in conftest_dirs)
        if in_conftest_dir or (targets and reaches(test)):
            picked.add(test)
    return sorted(t for t in picked if (root / t).is_file())


def _known_prefix(name: str, modules: dict[str, str]) -> str | None:
    """The longest leading part of `name` that is a module of this project."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        candidate = ".".join(parts[:k])
        if candidate in modules:
            return candidate
    return None


def _pytest(ctx: StageContext, started: float) -> StageResult:
    python = project_python(ctx.repo)
    runs: list[list[str]] = []
    if ctx.files is not None:
        affected = affected_python_tests(ctx.root, ctx.files, project_files(ctx.root))
        if affected:
            runs.append(path_operands(affected))
    if ctx.files is None or ctx.config.full_tests:
        runs.append([])  # [] = the whole suite, as configured by the project
    if not runs:
        return StageResult(
            "tests",
            True,
            time.monotonic() - started,
            tool_used=python.describe(),
            skipped=True,
            note="no tests import the changed files",
        )
    outputs: list[str] = []
    diagnostics: list[Diagnostic] = []
    stopped: list[Diagnostic] = []  # runs that printed their summary but did not exit
    result: CommandResult | None = None
    collected = False  # pytest exit 5 on every run: there are no tests to pass
    for targets in runs:
        result, found = run_pytest(
            python,
            ctx.root,
            targets,
            timeout=ctx.timeout,
            idle_after_summary=ctx.idle_after_summary,
        )
        outputs.append(result.output)
        if result.stopped_after_summary:
            stopped.append(_stopped_warning(result, "pytest"))
        if result.returncode == 5:
            continue  # no tests collected is not a failure of the change
        collected = True
        if "No module named pytest" in result.output:
            return StageResult(
                "tests",
                True,
                time.monotonic() - started,
                tool_used=python.describe(),
                skipped=True,
                note="pytest is not installed in the project's interpreter",
                diagnostics=[
                    Diagnostic(
                        "tests",
                        "",
                        0,
                        "pytest not installed; tests not run",
                        "warning",
                        tool="pytest",
                    )
                ],
            )
        if result.returncode not in (0, 5) and not found:
            found = [failure_diagnostic("tests", result, "pytest")]
        diagnostics += found
        if found:
            break  # affected tests failed: the full suite has nothing to add
    passed = not any(d.severity == "error" for d in diagnostics)
    label = (
        "affected tests" + (" + full suite" if len(runs) > 1 else "")
        if ctx.files is not None
        else "full suite"
    )
    note = (
        (label + (f": {', '.join(runs[0])}" if runs and runs[0] else ""))
        if collected
        else "pytest collected no tests"
    )
    return StageResult(
        "tests",
        passed=passed,
        seconds=time.monotonic() - started,
        diagnostics=diagnostics + stopped,
        tool_used=f"{python.describe()} -m pytest",
        raw_output=trim("\n".join(outputs)),
        skipped=not collected,  # "passed" would claim tests that do not exist
        note="; ".join([note, *(d.message for d in stopped)]),
    )


def run_pytest(
    python: Tool,
    root: Path,
    targets: Sequence[str],
    *,
    timeout: float,
    pythonpath: Sequence[Path] = (),
    env: Mapping[str, str] | None = None,
    idle_after_summary: float = 0.0,
) -> tuple[CommandResult, list[Diagnostic]]:
    """One pytest run exactly as the validator makes it (quiet, no cache, a JUnit report
    parsed into one diagnostic per failing test). Shared with the HEAD baseline (head_tests)
    so that "fails at HEAD" means the same run, not a look-alike. `pythonpath` goes first on
    PYTHONPATH (where a `-p` plugin among `targets` lives); `env` is added for it.
    `idle_after_summary`: see run_command (validate.hang)."""
    with temp_dir("junit") as tmp:
        xml = Path(tmp) / "report.xml"
        cmd = python.command(
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "junit_family=xunit1",
            f"--junitxml={xml}",
            "--no-header",
            "-rfE",
            # one test module that cannot import (an optional dependency missing here) must
            # not hide every other test: pytest stops after collection errors by default
            "--continue-on-collection-errors",
            *targets,
        )
        result = run_command(
            cmd,
            root,
            timeout=timeout,
            env={**_pytest_env(root, pythonpath), **(env or {})},
            idle_after_summary=idle_after_summary,
        )
        if result.stopped_after_summary and not xml.exists():
            # pytest writes its report before its summary: the summary it was stopped
            # after was not its own (a test's subprocess printed one); never a pass
            result = dataclasses.replace(
                result, returncode=-9, stopped_after_summary=NOT_ITS_SUMMARY
            )
        return result, parse_junit(xml, root)


def _cargo_test(ctx: StageContext, started: float) -> StageResult:
    cargo = resolve_tool(ctx.repo, "cargo")
    if cargo is None:
        return StageResult("tests", True, 0.0, skipped=True, note="cargo not found")
    result = run_command(
        cargo.command("test", "--no-fail-fast", "--color", "never"),
        ctx.root,
        env={**cargo_env(ctx), "RUST_BACKTRACE": "0"},
        timeout=ctx.timeout,
        idle_after_summary=ctx.idle_after_summary,
    )
    return _finish(cargo, result, parse_cargo_test(result.output, ctx.root), started)


def _has_npm_test(root: Path) -> bool:
    try:
        scripts = json.loads((root / "package.json").read_text(encoding="utf-8")).get("scripts", {})
    except (OSError, ValueError):
        return False
    test = scripts.get("test", "")
    return bool(test) and "no test specified" not in test


def _parse_any(text: str, root: Path) -> list[Diagnostic]:
    return (
        parse_cargo_test(text, root)
        or parse_go_test(text, root)
        or parse_tap(text, root=root)
        or [
            Diagnostic("tests", d.file, d.line, d.message, d.severity, d.column, d.code, d.tool)
            for d in parse_generic(text, "tests", GENERIC_TOOL, root)
        ]
    )


def _finish(
    tool: Tool, result: CommandResult, diags: list[Diagnostic], started: float
) -> StageResult:
    if result.timed_out or (
        result.returncode != 0 and not any(d.severity == "error" for d in diags)
    ):
        # a suite that hangs after its first failures (mocha without --exit, a server left
        # open) is killed at the timeout: say so, beside whatever failures it printed
        diags = [*diags, failure_diagnostic("tests", result, tool.describe())]
    passed = result.returncode == 0 and not any(d.severity == "error" for d in diags)
    if result.stopped_after_summary:
        diags = [*diags, _stopped_warning(result, tool.describe())]
    return StageResult(
        "tests",
        passed=passed,
        seconds=time.monotonic() - started,
        diagnostics=diags,
        tool_used=tool.describe(),
        raw_output=result.trimmed(),
        note=result.stopped_after_summary,
    )


def _stopped_warning(result: CommandResult, tool: str) -> Diagnostic:
    """The stage's word that the runner was stopped after its summary (not an error: the
    summary decides pass or fail; a server left open is worth knowing about, not failing)."""
    return Diagnostic("tests", "", 0, result.stopped_after_summary, "warning", tool=tool)


def _pytest_env(root: Path, extra: Sequence[Path] = ()) -> dict[str, str]:
    """A src-layout project's tests import its package from `src/`; an uninstalled checkout
    (a fresh clone, a temp copy) only finds it there if we say so."""
    env = {"PYTHONDONTWRITEBYTECODE": "1"}
    paths = [str(p) for p in extra] + ([str(root / "src")] if (root / "src").is_dir() else [])
    if paths:
        inherited = os.environ.get("PYTHONPATH", "")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (*paths, inherited) if p)
    return env
