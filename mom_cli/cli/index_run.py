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
from mom_cli.errors import ExitCode, MomError
from mom_cli.paths import STATE_DIR_NAME, resolve_repo
from mom_cli.terminal_text import visible

if TYPE_CHECKING:
    from mom_cli.index.build import IndexReport

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
    if not query.strip():  # `mom context "$TASK"` with TASK unset
        from mom_cli.errors import UsageError

        return _fail(UsageError("the query is empty: say what the step is about"), json_mode)
    try:
        root = resolve_repo(repo)
        settings = _config(root, config)["context"]
        from mom_cli.service.context import preview_context

        result = preview_context(
            root,
            query,
            settings,
            budget=budget,
            summarized=summarized,
            in_play=in_play,
            session_name=session_name,
            progress=_progress(json_mode),
        )
    except MomError as exc:
        return _fail(exc, json_mode)
    except (OSError, sqlite3.Error) as exc:
        return _fail(_cache_error(exc), json_mode)
    except KeyboardInterrupt:
        return _interrupted()
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
    sys.stdout.write(visible(text) + "\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(visible(text) + "\n")
    sys.stderr.flush()
