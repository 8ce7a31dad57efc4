"""Stage 4: lint. ruff for Python (always available: it ships with mom), clippy for Rust,
eslint for JS/TS, go vet for Go, each when present. Severity follows each tool's own
contract: every ruff finding fails ruff, so it is an error; clippy and eslint say which
findings are warnings. `validation.ignore_lint_codes` drops codes (prefix match)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mom_cli.validate.build import cargo_env
from mom_cli.validate.cargo_targets import run_cargo_targets
from mom_cli.validate.detect import SKIP_DIRS
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.lint_baseline import is_preexisting, mark_preexisting
from mom_cli.validate.lint_config import apply_flake8_config, read_flake8_config
from mom_cli.validate.lint_project import flake8_tool, parse_flake8, project_linters
from mom_cli.validate.operands import path_operands, path_option
from mom_cli.validate.parsers import cargo_rendered, parse_cargo_json, parse_generic, relpath
from mom_cli.validate.result import StageContext, StageResult, trim
from mom_cli.validate.ruff_edits import fix_hint
from mom_cli.validate.runner import (
    CommandResult,
    Tool,
    failure_diagnostic,
    resolve_tool,
    ruff_tool,
    run_command,
)

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def run_lint_stage(ctx: StageContext) -> StageResult:
    started = time.monotonic()
    cfg = ctx.config
    diagnostics: list[Diagnostic] = []
    tools: list[str] = []
    raw: list[str] = []
    failed_to_run = False
    if cfg.lint_command.strip():
        tool = Tool(cfg.lint_command, "config")
        result = run_command(tool.command(), ctx.root, timeout=ctx.timeout)
        found = parse_generic(result.output, "lint", "lint", ctx.root)
        failed_to_run = result.returncode != 0 and not found
        diagnostics += found or (
            [failure_diagnostic("lint", result, "lint")] if failed_to_run else []
        )
        tools.append(tool.describe())
        raw.append(result.output)
    else:
        for runner in (_ruff, _flake8, _clippy, _eslint, _go_vet):
            outcome = runner(ctx)
            if outcome is None:
                continue
            tool, result, found = outcome
            tools.append(tool.describe())
            raw.append(result.output)
            diagnostics += found
    diagnostics = sort_by_severity(filter_codes(diagnostics, cfg.ignore_lint_codes))
    return StageResult(
        "lint",
        passed=not any(d.severity == "error" for d in diagnostics),
        seconds=time.monotonic() - started,
        diagnostics=diagnostics,
        tool_used="; ".join(tools),
        raw_output=trim("\n".join(r for r in raw if r)),
        skipped=not tools,
        note=_counts(diagnostics) if tools else _why_no_linter(ctx),
    )


_UNSUPPORTED_LINTERS = {"biome": ("biome.json", "biome.jsonc")}


def _why_no_linter(ctx: StageContext) -> str:
    """Why the stage ran nothing: "no linter configured" was wrong for a project whose
    own linter mom does not run (vercel/ms lints with biome) or cannot find."""
    for name, configs in _UNSUPPORTED_LINTERS.items():
        found = next((c for c in configs if (ctx.root / c).is_file()), None)
        if found is not None:
            return f"the project lints with {name} ({found}), which mom does not run"
    scripts = ctx.files_of("javascript", "typescript", "tsx")
    if scripts and _has_eslint_config(ctx.root) and resolve_tool(ctx.repo, "eslint") is None:
        return "the project has an eslint config but eslint is not installed (npm install)"
    return "no linter configured for these files"


def filter_codes(diagnostics: Iterable[Diagnostic], ignore: Iterable[str]) -> list[Diagnostic]:
    """Drop diagnostics whose code starts with any ignored code ("E5" drops E501)."""
    prefixes = tuple(code for code in ignore if code)
    return [d for d in diagnostics if not (prefixes and d.code and d.code.startswith(prefixes))]


def sort_by_severity(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=lambda d: (SEVERITY_ORDER.get(d.severity, 3), d.file, d.line))


def _counts(diagnostics: list[Diagnostic]) -> str:
    counts: dict[str, int] = {}
    for d in diagnostics:
        label = _old_label(d) if is_preexisting(d) else f"{d.severity}(s)"
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{n} {label}" for label, n in counts.items()) or "clean"


def _old_label(d: Diagnostic) -> str:
    where = "already in HEAD" if "in HEAD;" in d.message else "already there before this run"
    return f"{where} (not counted)"


Outcome = tuple[Tool, CommandResult, list[Diagnostic]] | None


def _python_targets(ctx: StageContext) -> tuple[list[str], list[str]]:
    """(Python files to lint, the linter's arguments): `ctx.lint_files` when the caller
    narrowed lint to them (fix-build: the changed files), else the stage's files."""
    if ctx.lint_files is not None:
        python_files = set(ctx.files_of("python"))  # once: lint_files may list thousands
        files = [f for f in ctx.lint_files if f in python_files]
        return files, files
    files = ctx.files_of("python")
    return files, path_operands(files) if ctx.files is not None else ["."]


def _flake8_instead(root: Path, repo: Path) -> Tool | None:
    """flake8, when the project runs it and not ruff, and flake8 can run here."""
    linters = project_linters(root, has_ruff_config(root))
    return flake8_tool(repo) if linters.flake8 else None


def _flake8(ctx: StageContext) -> Outcome:
    """The project's own flake8 (lint_project), with its own config."""
    files, targets = _python_targets(ctx)
    if not files:
        return None
    flake8 = _flake8_instead(ctx.root, ctx.repo)
    if flake8 is None:
        return None
    if targets == ["."]:
        # flake8 walks everything under "." but toolchain folders (a venv in the
        # checkout is site-packages); ruff skips them and git-ignored files itself
        targets = ["--extend-exclude", ",".join(sorted(SKIP_DIRS)), "."]
    result = run_command(flake8.command(*targets), ctx.root, timeout=ctx.timeout)
    found = parse_flake8(result.output, ctx.root)
    if result.returncode != 0 and not found:
        # flake8 cannot run here as configured (a plugin it lacks, a config it rejects):
        # mom's ruff stands in, with the flake8 settings applied (lint_config)
        return _ruff(ctx, stand_in=True)
    own = set(files)  # not what the project git-ignores (a venv named `env/`)
    found = [d for d in found if d.file in own]
    if ctx.lint_baseline:

        def lint_head(rel: str, text: str) -> list[Diagnostic]:
            argv = flake8.command(path_option("--stdin-display-name", rel), "-")
            head = run_command(argv, ctx.root, timeout=ctx.timeout, stdin=text)
            return parse_flake8(head.output, ctx.root, display=rel)

        found = mark_preexisting(found, ctx.root, ctx.repo, lint_head, ctx.lint_base or "HEAD")
    return flake8, result, found


def lint_python_text(
    root: Path, repo: Path, rel: str, text: str, timeout: float
) -> list[Diagnostic]:
    """Lint `text` as if it were `rel`, with the linters the stage would run (for a base
    version of a file: fix-build's scope compares findings with it)."""
    found: list[Diagnostic] = []
    flake8 = _flake8_instead(root, repo)
    if flake8 is not None:
        argv = flake8.command(path_option("--stdin-display-name", rel), "-")
        head = run_command(argv, root, timeout=timeout, stdin=text)
        found += parse_flake8(head.output, root, rel)
        if head.returncode != 0 and not found:
            flake8 = None  # it cannot run as configured: ruff stands in, as in the stage
    if flake8 is None or has_ruff_config(root):
        ruff = ruff_tool(repo)
        argv = ruff.command(
            "check", "--output-format=json", "--no-fix", "--no-cache", "--force-exclude",
            *ruff_rule_args(root), path_option("--stdin-filename", rel), "-",
        )  # fmt: skip
        result = run_command(argv, root, timeout=timeout, stdin=text)
        try:
            items = _ruff_findings(result.stdout, root, text)
        except ValueError:
            items = []
        found += (
            items if has_ruff_config(root) else apply_flake8_config(items, read_flake8_config(root))
        )
    return found


def _ruff(ctx: StageContext, *, stand_in: bool = False) -> Outcome:
    files, targets = _python_targets(ctx)
    if not files:
        return None
    if stand_in and has_ruff_config(ctx.root):
        return None  # the project's own ruff has run already
    flake8_runs = not stand_in and _flake8_instead(ctx.root, ctx.repo) is not None
    if not has_ruff_config(ctx.root) and flake8_runs:
        return None  # the project lints with flake8 (and not ruff): _flake8 runs it
    ruff = ruff_tool(ctx.repo)
    cmd = ruff.command(
        "check", "--output-format=json", "--no-fix", "--no-cache", "--force-exclude",
        *ruff_rule_args(ctx.root), *targets,
    )  # fmt: skip
    result = run_command(cmd, ctx.root, timeout=ctx.timeout)
    try:
        found = _ruff_findings(result.stdout, ctx.root)
    except ValueError:
        return ruff, result, [failure_diagnostic("lint", result, "ruff")]
    if result.returncode not in (0, 1) and not found:
        return ruff, result, [failure_diagnostic("lint", result, "ruff")]
    own_config = has_ruff_config(ctx.root)
    # mom's rules standing in for the project's linter honour its flake8 settings
    flake8 = None if own_config else read_flake8_config(ctx.root)
    found = apply_flake8_config(found, flake8)

    def lint_head(rel: str, text: str) -> list[Diagnostic]:
        argv = ruff.command(
            "check", "--output-format=json", "--no-fix", "--no-cache",
            *ruff_rule_args(ctx.root), path_option("--stdin-filename", rel), "-",
        )  # fmt: skip
        head = run_command(argv, ctx.root, timeout=ctx.timeout, stdin=text)
        try:
            return apply_flake8_config(_ruff_findings(head.stdout, ctx.root, text), flake8)
        except ValueError:
            return []

    # count only what the change introduced (lint_baseline): always for mom's stand-in
    # rules; for the project's own ruff in the pre-commit hook, which judges a commit by
    # what it adds, not by the debt already in the files it touches, and in mom run, which
    # judges an edit by what it adds since the run began (lint_base)
    if ctx.lint_baseline and (not own_config or ctx.staged or ctx.lint_base):
        found = mark_preexisting(found, ctx.root, ctx.repo, lint_head, ctx.lint_base or "HEAD")
    return ruff, result, found


def _ruff_findings(stdout: str, root: Path, text: str | None = None) -> list[Diagnostic]:
    """ruff's JSON output as lint diagnostics (ValueError when it is not JSON). `text` is
    what ruff read on stdin (else each file is read when its fix hint needs it)."""
    items = json.loads(stdout or "[]")
    if not isinstance(items, list):
        raise ValueError("ruff printed no list")
    out = []
    for item in items:
        rel = relpath(item.get("filename", ""), root)

        def source(rel: str = rel) -> str | None:
            return text if text is not None else _read(root / rel)

        out.append(
            Diagnostic(
                "lint",
                rel,
                int((item.get("location") or {}).get("row") or 0),
                item.get("message", "") + fix_hint(item, source),
                "error",
                int((item.get("location") or {}).get("column") or 0),
                _ruff_code(item),
                "ruff",
            )
        )
    return out


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _ruff_code(item: dict[str, Any]) -> str:
    """The finding's code, "syntax" for a parse error. Recent ruff reports parse errors as
    `invalid-syntax` with no code under preview, and preview rules that have no code yet
    with only a name: taking every codeless finding for a syntax error put lint debt in
    scope (pytest-fixture-autouse on platformdirs' unchanged tests)."""
    code, name = item.get("code"), item.get("name")
    if code == "invalid-syntax" or name == "invalid-syntax" or not (code or name):
        return "syntax"
    return str(code or name)


def _clippy(ctx: StageContext) -> Outcome:
    if not ctx.project.has("rust"):
        return None
    cargo = resolve_tool(ctx.repo, "cargo")
    if cargo is None:
        return None
    result, _ = run_cargo_targets(
        cargo, "clippy", ctx.root, timeout=ctx.timeout, env=cargo_env(ctx)
    )
    if "no such command" in result.stderr:
        return None
    found = parse_cargo_json(result.stdout, "lint", "clippy", ctx.root)
    result.stdout = cargo_rendered(result.stdout)
    if result.returncode != 0 and not any(d.severity == "error" for d in found):
        found.append(failure_diagnostic("lint", result, "clippy"))
    return cargo, result, found


def _eslint(ctx: StageContext) -> Outcome:
    files = ctx.files_of("javascript", "typescript", "tsx")
    if not files or not _has_eslint_config(ctx.root):
        return None
    eslint = resolve_tool(ctx.repo, "eslint")
    if eslint is None:
        return None
    argv = eslint.command("-f", "json", *path_operands(files))
    result = run_command(argv, ctx.root, timeout=ctx.timeout)
    if result.returncode not in (0, 1) or result.timed_out:
        # exit 2 is eslint's "could not lint" (a config it cannot load, a crash): its
        # empty stdout parsed as no findings, so a broken linter read as a clean one
        return eslint, result, [_eslint_crash(result)]
    found = []
    try:
        reports = json.loads(result.stdout or "[]")
    except ValueError:
        return eslint, result, [failure_diagnostic("lint", result, "eslint")]
    for report in reports:
        for msg in report.get("messages", []):
            found.append(
                Diagnostic(
                    "lint",
                    relpath(report.get("filePath", ""), ctx.root),
                    int(msg.get("line") or 0),
                    msg.get("message", ""),
                    "error" if msg.get("severity") == 2 else "warning",
                    int(msg.get("column") or 0),
                    msg.get("ruleId") or "",
                    "eslint",
                )
            )
    return eslint, result, found


_ERROR_LINE = re.compile(r"^\w*Error\b[^(]*:")


def _eslint_crash(result: CommandResult) -> Diagnostic:
    """eslint could not lint: its error line ("SyntaxError: Cannot use import statement
    outside a module") says why, where the generic last line was a stack frame.

    A warning, not an error: the code was not linted, and the report says so, but a
    linter broken by its environment (eslint 7 under node 20, at the base too) is not a
    finding a change made or can fix; as an error it failed every fix-build and blocked
    every commit through the hook (expressjs/cookie-parser)."""
    if result.timed_out:
        return failure_diagnostic("lint", result, "eslint")
    lines = [ln.strip() for ln in result.stderr.splitlines() or result.output.splitlines()]
    lines = [ln for ln in lines if ln]
    why = next((ln for ln in lines if _ERROR_LINE.match(ln)), lines[0] if lines else "no output")
    message = f"eslint could not run (exit code {result.returncode}): {why}"
    return Diagnostic("lint", "", 0, message[:500], "warning", 0, "", "eslint")


def _has_eslint_config(root: Path) -> bool:
    names = (
        "eslint.config.js",
        "eslint.config.mjs",
        "eslint.config.cjs",
        ".eslintrc.js",
        ".eslintrc.json",
        ".eslintrc.cjs",
        ".eslintrc.yml",
        ".eslintrc.yaml",
        ".eslintrc",
    )
    return any((root / n).is_file() for n in names)


def _go_vet(ctx: StageContext) -> Outcome:
    if not ctx.project.has("go"):
        return None
    go = resolve_tool(ctx.repo, "go")
    if go is None:
        return None
    result = run_command(go.command("vet", "./..."), ctx.root, timeout=ctx.timeout)
    found = parse_generic(result.output, "lint", "go vet", ctx.root)
    if result.returncode != 0 and not found:
        found = [failure_diagnostic("lint", result, "go vet")]
    return go, result, found


# ruff's historic default rules (syntax errors, pyflakes, a few pycodestyle errors). Pinned so
# a project without its own ruff config is held to real faults, not to whatever style rules a
# newer ruff enables by default: fix-build must not restyle files the user never asked about.
DEFAULT_RUFF_RULES = "E4,E7,E9,F"


def has_ruff_config(root: Path) -> bool:
    if (root / "ruff.toml").is_file() or (root / ".ruff.toml").is_file():
        return True
    pyproject = root / "pyproject.toml"
    try:
        return "[tool.ruff" in pyproject.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def ruff_rule_args(root: Path) -> list[str]:
    """Extra ruff flags: none when the project configures ruff, else the pinned default set."""
    return [] if has_ruff_config(root) else ["--select", DEFAULT_RUFF_RULES]
