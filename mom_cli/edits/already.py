"""Is an edit's goal already met? (its REPLACE text is there, and its SEARCH text is
gone or only left inside that REPLACE text: applying it again would duplicate it)

`mom run` can hand one change to two steps (a request that describes a bug and then asks
for its fix), and a model may repeat an edit an earlier step applied. Applying it fails
("SEARCH text not found"), but nothing is wrong: the file already says what the edit
wants it to say. The caller validates and then marks the step satisfied, not failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mom_cli.edits.blocks import EditBlock
from mom_cli.edits.containment import resolve_repo_path
from mom_cli.errors import EditError


def already_applied(repo: Path, blocks: Sequence[EditBlock]) -> list[str]:
    """The edited paths when every block's result is already in place; [] otherwise."""
    paths: list[str] = []
    for block in blocks:
        try:
            path, rel = resolve_repo_path(repo, block.path)
            text = path.read_text(encoding="utf-8")
        except (EditError, OSError, UnicodeDecodeError):  # outside, missing, unreadable
            return []
        if block.whole_file or not block.search:
            done = text.rstrip("\n") == block.replace.rstrip("\n")
        else:
            done = _in_place(text, block.search.strip("\n"), block.replace.strip("\n"))
        if not done:
            return []
        paths.append(rel)
    return list(dict.fromkeys(paths))


def _occurrences(text: str, part: str) -> list[int]:
    out, at = [], text.find(part)
    while at >= 0:
        out.append(at)
        at = text.find(part, at + 1)
    return out


def _in_place(text: str, search: str, wanted: str) -> bool:
    if not wanted.strip() or wanted == search:
        return False
    spans = [(w, w + len(wanted)) for w in _occurrences(text, wanted)]
    if not spans:
        return False
    return all(
        any(a <= s and s + len(search) <= b for a, b in spans) for s in _occurrences(text, search)
    )
