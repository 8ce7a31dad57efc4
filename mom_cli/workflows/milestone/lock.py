"""Moved: the repo lock is shared by every editing command (mom_cli.edits.lock)."""

from mom_cli.edits.lock import LOCK_NAME, RepoLock

__all__ = ["LOCK_NAME", "RepoLock"]
