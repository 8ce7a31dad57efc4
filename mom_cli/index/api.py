"""The index as the engine uses it: one object per repository.

    index = CodeIndex(repo)
    report = index.refresh()                    # cheap when nothing changed
    ctx = index.context("fix the retry loop", budget=8000, session=run_session)

It prints nothing; everything worth telling the user is in the returned reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mom_cli.index.build import IndexReport, Progress, refresh
from mom_cli.index.store import db_path, is_complete, open_db
from mom_cli.paths import repo_state_dir

if TYPE_CHECKING:  # imported by the methods that use them: `mom index` never ranks
    from mom_cli.index.context import ContextResult, ContextSession, Mode


class CodeIndex:
    """The code index of one repository, cached in `<repo>/.mom/index.sqlite3`."""

    def __init__(self, root: Path, state_dir: Path | None = None) -> None:
        self.root = root
        self._state_dir = state_dir

    @property
    def state_dir(self) -> Path:
        if self._state_dir is None:
            self._state_dir = repo_state_dir(self.root)
        return self._state_dir

    def refresh(self, workers: int | None = None, progress: Progress | None = None) -> IndexReport:
        """Build the index, or bring it up to date with the work tree; `progress(done,
        total)` is called as files are parsed."""
        return refresh(self.root, self.state_dir, workers, progress)

    def is_built(self) -> bool:
        """Whether a finished index of this version exists (it may still be stale: a
        `refresh` brings it up to date cheaply). False while a background build runs."""
        return is_complete(db_path(self.state_dir))

    def first_context(
        self,
        query: str,
        budget: int,
        mode: Mode = "targeted",
        files_in_play: Sequence[str] = (),
        session: ContextSession | None = None,
    ) -> ContextResult | None:
        """Context without the index: a lexical scan of the raw text picks candidates and
        only those are parsed (see `mom_cli.index.quick`). For a never-indexed repo; None
        when the repo is small enough that `refresh` + `context` is as quick."""
        from mom_cli.index.quick import first_context

        return first_context(self.root, query, budget, mode, files_in_play, session)

    def build_in_background(self) -> bool:
        """Start (or join) a detached build of the full index; True when one is running."""
        from mom_cli.index.background import start_build

        return start_build(self.root, self.state_dir)

    def rank(
        self, query: str, files_in_play: Sequence[str] = (), limit: int = 20
    ) -> list[tuple[str, float]]:
        """The best files for a task, best first."""
        from mom_cli.index.rank import rank

        conn, _ = open_db(db_path(self.state_dir))
        try:
            return rank(conn, query, files_in_play).top(limit)
        finally:
            conn.close()

    def context(
        self,
        query: str,
        budget: int,
        mode: Mode = "targeted",
        files_in_play: Sequence[str] = (),
        session: ContextSession | None = None,
    ) -> ContextResult:
        """What a step for `query` would be sent (see `mom_cli.index.context`)."""
        from mom_cli.index.context import build_context

        conn, warnings = open_db(db_path(self.state_dir))
        try:
            result = build_context(conn, self.root, query, budget, mode, files_in_play, session)
        finally:
            conn.close()
        result.warnings[:0] = warnings
        return result
