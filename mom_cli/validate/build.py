"""Stage 2: does it build? Python: byte-compile the changed modules and import them with
the project's interpreter (one process). Rust: cargo check. TypeScript: tsc --noEmit.
Go: go build ./... Java: the configured build, else maven/gradle, else javac.
A `validation.build_command` replaces all of these."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mom_cli.tempdirs import process_temp_dir, temp_dir
from mom_cli.validate.cargo_targets import run_cargo_targets
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.operands import path_operands
from mom_cli.validate.parsers import cargo_rendered, parse_cargo_json, parse_generic, relpath
from mom_cli.validate.pyimports import module_name
from mom_cli.validate.result import StageContext, StageResult
from mom_cli.validate.runner import (
    CommandResult,
    Tool,
    failure_diagnostic,
    project_python,
    resolve_tool,
    run_command,
)

Parser = Callable[[str, str, str, Path], list[Diagnostic]]
# tsc's own option errors (TS5023 unknown option, TS5053 options that cannot combine, …)
_TSC_OPTION_ERROR = re.compile(r"error TS50\d\d:")

# Runs inside the project's interpreter: compile every file (no .pyc written), then import
# every package module; report what failed as JSON on stdout.
_PY_CHECK = r"""
import importlib, json, sys, traceback, warnings
sys.dont_write_bytecode = True
job = json.loads(sys.stdin.read())
sys.path[:0] = job["paths"]
out = []
for f in job["files"]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(open(f, "rb").read(), f, "exec", dont_inherit=True)
    except SyntaxError as e:
        out.append(dict(file=f, line=e.lineno or 0, col=e.offset or 0,
                        msg=type(e).__name__ + ": " + str(e.msg), code=type(e).__name__))
    except (ValueError, OSError) as e:
        out.append(dict(file=f, line=0, col=0, msg=str(e), code=type(e).__name__))
bad = {o["file"] for o in out}
for f, name in job["modules"]:
    if f in bad:
        continue
    try:
        importlib.import_module(name)
    except SyntaxError as e:
        if e.filename not in bad:  # a broken module the file list did not include
            bad.add(e.filename)
            out.append(dict(file=e.filename or f, line=e.lineno or 0, col=e.offset or 0,
                            msg="import %s: SyntaxError: %s" % (name, e.msg), code="SyntaxError"))
    except BaseException as e:
        frames = [fr for fr in traceback.extract_tb(e.__traceback__)
                  if fr.filename.startswith(job["root"])]
        fr = frames[-1] if frames else None
        missing = getattr(e, "name", None) if isinstance(e, ModuleNotFoundError) else None
        out.append(dict(file=fr.filename if fr else f, line=fr.lineno if fr else 0, col=0,
                        msg="import %s: %s: %s" % (name, type(e).__name__, e),
                        code=type(e).__name__, missing=missing))
print(json.dumps(out))
"""


def run_build_stage(ctx: StageContext) -> StageResult:
    started = time.monotonic()
    cfg = ctx.config
    if cfg.build_command.strip():
        tool = Tool(cfg.build_command, "config")
        return _finish(ctx, tool, _run(ctx, tool.command()), started, parse_generic)
    if ctx.project.has("rust"):
        return _cargo_check(ctx, started)
    if ctx.project.has("typescript"):
        tsc = resolve_tool(ctx.repo, "tsc")
        if tsc is not None:
            return _finish(ctx, tsc, _tsc_check(ctx, tsc), started, parse_generic)
    if ctx.project.has("go"):
        go = resolve_tool(ctx.repo, "go")
        if go is not None:
            return _finish(ctx, go, _run(ctx, go.command("build", "./...")), started, parse_generic)
    if ctx.project.has("java"):
        stage = _java_build(ctx, started)
        if stage is not None:
            return stage
    if ctx.files_of("python"):
        return _python_build(ctx, started)
    return StageResult(
        "build",
        True,
        time.monotonic() - started,
        skipped=True,
        note="no build step for this project",
    )


def _tsc_check(ctx: StageContext, tsc: Tool) -> CommandResult:
    """`tsc --noEmit`, incremental across the checks of one run: a fix-build validates
    three or more times, and a full check of a small project took 20 s, an incremental
    one 3 s (vercel/ms). The build info lives in a temp dir, never the work tree; a tsc
    that rejects the options (before 4.0) gets the plain check."""
    plain = ["--noEmit", "--pretty", "false"]
    key = hashlib.sha256(str(ctx.root.resolve()).encode()).hexdigest()[:16]
    info = process_temp_dir("tsc") / f"{key}.tsbuildinfo"
    result = _run(ctx, tsc.command(*plain, "--incremental", "--tsBuildInfoFile", str(info)))
    if result.returncode != 0 and _TSC_OPTION_ERROR.search(result.output):
        result = _run(ctx, tsc.command(*plain))
    return result


def _run(
    ctx: StageContext, command: list[str] | str, env: dict[str, str] | None = None
) -> CommandResult:
    return run_command(command, ctx.root, timeout=ctx.timeout, env=env)


def _finish(
    ctx: StageContext,
    tool: Tool,
    result: CommandResult,
    started: float,
    parser: Parser,
    raw: str | None = None,
) -> StageResult:
    text = result.output
    diagnostics: list[Diagnostic] = parser(text, "build", _tool_name(tool), ctx.root)
    failed = result.returncode != 0 or any(d.severity == "error" for d in diagnostics)
    if failed and not any(d.severity == "error" for d in diagnostics):
        diagnostics.append(failure_diagnostic("build", result, _tool_name(tool)))
    return StageResult(
        "build",
        passed=not failed,
        seconds=time.monotonic() - started,
        diagnostics=diagnostics,
        tool_used=tool.describe(),
        raw_output=raw if raw is not None else result.trimmed(),
    )


def _tool_name(tool: Tool) -> str:
    if isinstance(tool.argv, str):
        return tool.argv.split()[0] if tool.argv.split() else "command"
    return Path(tool.argv[0]).name


def _cargo_check(ctx: StageContext, started: float) -> StageResult:
    cargo = resolve_tool(ctx.repo, "cargo")
    if cargo is None:
        return StageResult("build", True, 0.0, skipped=True, note="cargo not found")
    result, note = run_cargo_targets(
        cargo, "check", ctx.root, timeout=ctx.timeout, env=cargo_env(ctx)
    )
    raw = cargo_rendered(result.stdout) + "\n" + result.stderr
    stage = _finish(ctx, cargo, result, started, parse_cargo_json, raw=raw.strip()[-4000:])
    if note:  # shown beside the tool: the stage checked less than --all-targets
        stage.note, stage.tool_used = note, f"{stage.tool_used}; {note}"
    return stage


def cargo_env(ctx: StageContext) -> dict[str, str]:
    """In a temp tree (the staged blobs, an export of the base), a target dir of its own
    inside the repo's (`target/mom`: it outlives the tree, so only the first check builds
    from scratch, and `cargo clean` removes it). Not target/ itself: cargo judges freshness
    by mtime, and the tree's newer files made their build pass for the work tree's, so the
    user's next `cargo test` ran the other code (a test the work tree broke passed). Not
    `.mom/`: the sandbox keeps it read-only for the pre-commit hook's commands."""
    return {"CARGO_TARGET_DIR": str(ctx.repo / "target" / "mom")} if ctx.staged else {}


def _java_build(ctx: StageContext, started: float) -> StageResult | None:
    if (ctx.root / "pom.xml").is_file() and (mvn := resolve_tool(ctx.repo, "mvn")):
        return _finish(ctx, mvn, _run(ctx, mvn.command("-q", "compile")), started, parse_generic)
    if any((ctx.root / g).is_file() for g in ("build.gradle", "build.gradle.kts")):
        gradle = resolve_tool(ctx.repo, "gradlew") or resolve_tool(ctx.repo, "gradle")
        if gradle:
            return _finish(
                ctx, gradle, _run(ctx, gradle.command("-q", "compileJava")), started, parse_generic
            )
    javac = resolve_tool(ctx.repo, "javac")
    files = ctx.files_of("java")
    if javac is None or not files:
        return None
    roots = sorted({str(ctx.root / r) for r in _java_source_roots(ctx.root, files)})
    with temp_dir("javac") as out:
        cmd = javac.command("-d", out, "-sourcepath", ":".join(roots), *path_operands(files))
        return _finish(ctx, javac, _run(ctx, cmd), started, parse_generic)


def _java_source_roots(root: Path, files: list[str]) -> set[str]:
    roots = set()
    for rel in files:
        marker = "src/main/java/"
        roots.add(
            rel[: rel.index(marker) + len(marker)] if marker in rel else str(Path(rel).parent)
        )
    return roots


def _python_build(ctx: StageContext, started: float) -> StageResult:
    python = project_python(ctx.repo)
    files = ctx.files_of("python")
    modules = [(f, name) for f in files if (name := module_name(ctx.root, f)) is not None]
    paths = sorted({str(ctx.root / p) for p in ("src", ".") if (ctx.root / p).is_dir()})
    root_str = str(ctx.root.resolve())
    job = {
        "files": [str(ctx.root / f) for f in files],
        "modules": [(str(ctx.root / f), name) for f, name in modules],
        "paths": paths,
        "root": root_str,
    }
    result = run_command(
        python.command("-c", _PY_CHECK),
        ctx.root,
        timeout=ctx.timeout,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PYTHONSAFEPATH": "1"},
        stdin=json.dumps(job),
    )
    diagnostics = []
    try:
        reports = (
            json.loads(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else None
        )
    except (ValueError, IndexError):
        reports = None
    if reports is None:
        diagnostics.append(failure_diagnostic("build", result, "python"))
        reports = []
    for r in _once_per_cause(reports):
        missing = r.get("missing") or ""
        third_party = bool(missing) and not _is_project_module(ctx.root, missing)
        diagnostics.append(
            Diagnostic(
                "build",
                relpath(r["file"], ctx.root),
                int(r["line"]),
                r["msg"] + (" (not installed in the interpreter used)" if third_party else ""),
                "warning" if third_party else "error",
                int(r["col"]),
                r["code"],
                "python",
            )
        )
    errors = [d for d in diagnostics if d.severity == "error"]
    return StageResult(
        "build",
        passed=not errors,
        seconds=time.monotonic() - started,
        diagnostics=diagnostics,
        tool_used=f"{python.describe()} byte-compile + import",
        raw_output=result.trimmed(),
        note=f"{len(files)} file(s) compiled, {len(modules)} module(s) imported",
    )


_IMPORT_PREFIX = re.compile(r"^import (?P<name>[\w.]+): ")


def _once_per_cause(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One report per failure at one place: a broken line that the package's __init__
    reaches fails the import of every module in the package the same way (sqlparse: 21
    build errors for one deleted function); the first import names how many more it broke."""
    first: dict[tuple[Any, ...], dict[str, Any]] = {}
    others: dict[tuple[Any, ...], int] = {}
    for r in reports:
        msg = str(r.get("msg", ""))
        key = (r.get("file"), r.get("line"), r.get("code"), _IMPORT_PREFIX.sub("", msg, 1))
        if key in first:
            others[key] += 1
        else:
            first[key], others[key] = dict(r), 0
    for key, r in first.items():
        match = _IMPORT_PREFIX.match(str(r.get("msg", "")))
        if others[key] and match is not None:
            name = match.group("name")
            also = f"import {name} (and {others[key]} other module(s) that import it): "
            r["msg"] = also + str(r["msg"])[match.end() :]
    return list(first.values())


def _is_project_module(root: Path, dotted: str) -> bool:
    top = dotted.split(".")[0]
    return any(
        (base / top).is_dir() or (base / f"{top}.py").is_file() for base in (root, root / "src")
    )
