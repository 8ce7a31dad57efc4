"""Edit blocks: the one form in which models and rules propose changes to files."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EditBlock:
    """Replace `search` with `replace` in `path` (repo-relative).

    `search == ""` with `whole_file=True` replaces (or creates) the whole file.
    `allow_large_deletion` marks a step that asked to remove most of a file.
    """

    path: str
    search: str
    replace: str
    whole_file: bool = False
    allow_large_deletion: bool = False
