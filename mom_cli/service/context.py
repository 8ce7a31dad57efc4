"""`preview_context`: what a step about QUERY would be sent, for `mom context` and the
session's `/context` alike.

Light on purpose: `mom context` runs before every step and from editor integrations
through a fast entry that never imports Typer, rich or pydantic, so this takes the
config's `[context]` table as a plain mapping (the CLI reads it from the config snapshot,
the session from its loaded config).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mom_cli.errors import UsageError

if TYPE_CHECKING:
    from mom_cli.index.api import CodeIndex
    from mom_cli.index.context import ContextResult, Mode

Progress = Callable[[int, int], None]


def preview_context(
    root: Path,
    query: str,
    settings: Mapping[str, Any],
    *,
    budget: int | None = None,
    summarized: bool = False,
    in_play: Sequence[str] = (),
    session_name: str | None = None,
    progress: Progress | None = None,
) -> ContextResult:
    """Refresh the code index (or answer at once from a first, partial pass while it
    builds) and rank what `query` needs within `budget` tokens. Bad options raise
    UsageError (exit 2) before anything is written."""
    from mom_cli.paths import STATE_DIR_NAME

    if budget is not None and budget < 1:
        raise UsageError(f"--budget {budget}: must be a positive number of tokens")
    if summarized and not settings["enable_summarized_context"]:
        raise UsageError("summarized context is off (context.enable_summarized_context)")
    session = None
    if session_name is not None:
        if summarized:
            raise UsageError("--session applies to targeted context; drop --summarized")
        if not settings["enable_differential_context"]:
            raise UsageError("differential context is off (context.enable_differential_context)")
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
        warnings.append(first_answer_note(index))
    else:
        warnings = index.refresh(progress=progress).warnings
        result = index.context(query, budget, mode, in_play, context)
    if session is not None:
        session.save()
    result.warnings[:0] = warnings
    return result


def first_answer_note(index: CodeIndex) -> str:
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
