"""Named differential-context sessions: what one conversation has already been sent.

`mom context --session NAME` keeps `<repo>/.mom/sessions/NAME.json`, so a caller that talks
to one model over several turns (an editor plugin, a script) is not sent the same excerpt
twice: an excerpt already sent, and unchanged since, is only referenced by path and lines.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mom_cli.errors import UsageError
from mom_cli.index.context import ContextSession

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class StoredSession:
    """A ContextSession and the file it is kept in."""

    __slots__ = ("context", "path")

    def __init__(self, path: Path, context: ContextSession) -> None:
        self.path = path
        self.context = context

    def save(self) -> None:
        from mom_cli.edits.fileio import write_atomic

        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, self.context.to_json().encode("utf-8"))


def load_session(state_dir: Path, name: str) -> StoredSession:
    """The session called `name` (empty if new); a damaged file is an error, not a reset."""
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"--session {name!r}: use letters, digits, '.', '_' or '-' (at most 64, "
            "starting with a letter or digit)"
        )
    path = state_dir / "sessions" / f"{name}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return StoredSession(path, ContextSession())
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the session: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UsageError(
            f"{path}: not a context session ({exc}); delete it to start over"
        ) from None
    if not isinstance(data, list) or not all(isinstance(key, str) for key in data):
        raise UsageError(
            f"{path}: not a context session (expected a JSON list of excerpt keys); "
            "delete it to start over"
        )
    return StoredSession(path, ContextSession(set(data)))
