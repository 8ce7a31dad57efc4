"""The bodies of `mom index` and `mom context`, with no Typer, rich or pydantic import.

Both commands run before every step and from editor integrations, so they have a fast
entry (`mom_cli.cli.fast`) that skips the ~0.3 s those libraries cost per call. The
Typer commands call these same functions, so output and exit codes never differ.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mom_cli.cli.plain import print_json
from mom_cli.errors import ExitCode, MomError, UsageError
from mom_cli.paths import STATE_DIR_NAME, resolve_repo

if TYPE_CHECKING:
    from mom_cli.index.api import CodeIndex
    from mom_cli.index.build import IndexReport
    from mom_cli.index.context import Mode

SHOW_SKIPPED = 10


def run_index(repo: Path | None, config: Path | None, json_mode: bool) -> int:
    """Build or refresh the index; prints a summary (or one JSON document)."""
    try:
        root = resolve_repo(repo)
        _config(root, config)
        from mom_cli.index.api import CodeIndex

        report = CodeIndex(root).refresh(progress=_progress(json_mode))
    except MomError as exc:
        return _fail(exc, json_mode)
    except (OSError, sqlite3.Error) as exc:
        return _fail(_cache_error(exc), json_mode)
    except KeyboardInterrupt:
        return _interrupted()
    if json_mode:
        print_json(report_json(report))
        return ExitCode.OK
    _print_warnings(report)
    _out(
        f"indexed {report.files} files, {report.symbols} symbols in {report.seconds:.2f}s "
        f"({report.parsed} parsed, {report.cache_hits} cache hits, {report.removed} removed)"
    )
    return ExitCode.OK


def run_context(
    query: str,
    budget: int | None,
    summarized: bool,
    in_play: Sequence[str],
    repo: Path | None,
    config: Path | None,
    json_mode: bool,
    session_name: str | None = None,
) -> int:
    """Print exactly what a step for `query` would be sent, within the token budget."""
    try:
        if budget is not None and budget < 1:
            raise UsageError(f"--budget {budget}: must be a positive number of tokens")
        root = resolve_repo(repo)
        settings = _config(root, config)["context"]
        if summarized and not settings["enable_summarized_context"]:
            raise UsageError("summarized context is off (context.enable_summarized_context)")
        session = None
        if session_name is not None:
            if summarized:
                raise UsageError("--session applies to targeted context; drop --summarized")
            if not settings["enable_differential_context"]:
                raise UsageError(
                    "differential context is off (context.enable_differential_context)"
                )
            from mom_cli.index.sessions import load_session

            session = load_session(root / STATE_DIR_NAME, session_name)
        from mom_cli.index.api import CodeIndex

        index = CodeIndex(root)
        budget = budget or int(settings["max_context_tokens"])
        mode: Mode = "summarized" if summarized else "targeted"
        context = session.context if session is not None else None
        warnings: list[str] = []
        result = None
        if not index.is_built():  # never indexed: answer now, build in the background
            result = index.first_context(query, budget, mode, in_play, context)
        if result is not None:
            warnings.append(_first_answer_note(index))
        else:
            warnings = index.refresh(progress=_progress(json_mode)).warnings
            result = index.context(query, budget, mode, in_play, context)
        if session is not None:
            session.save()
    except MomError as exc:
        return _fail(exc, json_mode)
    except (OSError, sqlite3.Error) as exc:
        return _fail(_cache_error(exc), json_mode)
    except KeyboardInterrupt:
        return _interrupted()
    result.warnings[:0] = warnings
    if json_mode:
        print_json(result.to_json())
        return ExitCode.OK
    for line in result.warnings:
        _err(f"warning: {line}")
    _out(result.text)
    _err(
        f"{len(result.excerpts)} excerpts from {len(result.files)} ranked files, "
        f"{result.bytes} bytes, ~{result.tokens}/{result.budget} tokens (estimate)"
    )
    return ExitCode.OK


def _first_answer_note(index: CodeIndex) -> str:
    """Say why the answer came from a quick scan, and where the full index stands."""
    from mom_cli.index.store import db_path

    why = (
        "the code index cache is from another mom version or unfinished"
        if db_path(index.state_dir).exists()
        else "no code index yet"
    )
    where = (
        "is being built in the background"
        if index.build_in_background()
        else "will be built by the next call"
    )
    return f"{why}: answered from a quick text scan; the full index {where}"


def report_json(report: IndexReport) -> dict[str, object]:
    return {
        "files": report.files,
        "symbols": report.symbols,
        "parsed": report.parsed,
        "cache_hits": report.cache_hits,
        "removed": report.removed,
        "seconds": round(report.seconds, 4),
        "edges_rebuilt": report.edges_rebuilt,
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        "partial": [{"path": s.path, "reason": s.reason} for s in report.partial],
        "warnings": report.warnings,
    }


def _config(root: Path, config: Path | None) -> dict[str, Any]:
    """Validated before anything is written: a bad config changes nothing."""
    from mom_cli.config_snapshot import effective_config

    return effective_config(root, root / STATE_DIR_NAME, config)


def _progress(json_mode: bool) -> Callable[[int, int], None] | None:
    """A one-line parse counter on an interactive stderr (a cold index takes seconds)."""
    if json_mode or not sys.stderr.isatty():
        return None
    last_shown = 0.0

    def show(done: int, total: int) -> None:
        nonlocal last_shown
        now = time.monotonic()
        if done == total:
            sys.stderr.write("\r\033[K")
        elif now - last_shown >= 0.1:
            sys.stderr.write(f"\rindexing: {done}/{total} files parsed")
        else:
            return
        last_shown = now
        sys.stderr.flush()

    return show


def _print_warnings(report: IndexReport) -> None:
    for line in report.warnings:
        _err(f"warning: {line}")
    for title, items in (("skipped", report.skipped), ("partly indexed", report.partial)):
        for item in items[:SHOW_SKIPPED]:
            _err(f"{title}: {item.path}: {item.reason}")
        if len(items) > SHOW_SKIPPED:
            _err(f"{title}: … and {len(items) - SHOW_SKIPPED} more (see --json)")


def _cache_error(exc: OSError | sqlite3.Error) -> MomError:
    """The disk or the index cache failed (full, unwritable, locked): say which, exit 1."""
    where = f" ({exc.filename})" if isinstance(exc, OSError) and exc.filename else ""
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return MomError(f"cannot read or write the code index{where}: {detail}")


def _fail(exc: MomError, json_mode: bool) -> int:
    if json_mode:
        print_json({"error": str(exc), "kind": type(exc).__name__})
    else:
        _err(f"error: {exc}")
    return exc.exit_code


def _interrupted() -> int:
    _err("interrupted")
    return ExitCode.INTERRUPTED


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
