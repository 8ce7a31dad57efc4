"""Guards on what a model's edit may do, beyond staying inside the repository.

- Protected files: mom's own config (`routing.toml`, `.mom/`), CI and hook definitions
  (`.github/workflows/`, `.pre-commit-config.yaml`, `.ci/`, `.git*`) and whatever the user
  lists in `safety.protected` are refused unless `safety.allow_edit` names them. A model
  that could edit these could choose the commands mom runs or raise its own budget.
- Paths: control characters other than tab and newline are refused (a CR in a name shows
  as a different file in a terminal), and so are invisible format characters (Unicode Cf:
  a right-to-left override shows `yp.evil` as `live.py`; macOS HFS+ ignores U+200C, so
  `.g\u200cit/` is `.git/` there).
- Size: a created or grown file may not pass `safety.max_file_bytes`.
- Structure: removing more than `safety.max_removed_definitions` of a file's functions,
  classes and methods (counted with tree-sitter, so padding the file with comments hides
  nothing) is refused unless the block asked for a large deletion.
"""

from __future__ import annotations

import fnmatch
import unicodedata
from collections import Counter
from pathlib import PurePosixPath

from mom_cli.config import SafetySection
from mom_cli.errors import EditError

DEFAULT_PROTECTED = (
    "routing.toml",
    ".mom/",
    ".github/workflows/",
    ".pre-commit-config.yaml",
    ".ci/",
    ".git*",
)
MIN_DEFINITIONS = 4  # below this, a file's definitions are too few for a share to mean much
_KINDS = ("function", "class", "method", "interface", "struct", "enum", "trait", "module",
          "type", "impl", "macro", "constructor")  # fmt: skip


def protected_patterns(safety: SafetySection) -> list[str]:
    return [*DEFAULT_PROTECTED, *safety.protected]


def matches(rel: str, pattern: str) -> bool:
    """`dir/` covers a folder at the root; a pattern without `/` matches a file name at any
    depth; anything else is an fnmatch over the repo-relative path (`**` = `*`). Case is
    ignored (on macOS and Windows `Routing.TOML` is the same file)."""
    pattern = pattern.strip().lower()
    pattern = pattern[2:] if pattern.startswith("./") else pattern
    rel = rel.lower()
    if not pattern:
        return False
    if pattern.endswith("/"):
        return rel.startswith(pattern) or rel == pattern.rstrip("/")
    if "/" not in pattern:
        return any(fnmatch.fnmatchcase(part, pattern) for part in PurePosixPath(rel).parts)
    return fnmatch.fnmatchcase(rel, pattern.replace("**", "*"))


def check_protected(rel: str, safety: SafetySection) -> None:
    """EditError when `rel` is protected and not allowed."""
    hit = next((p for p in protected_patterns(safety) if matches(rel, p)), None)
    if hit is None or any(matches(rel, a) for a in safety.allow_edit):
        return
    raise EditError(
        f"refused edit of protected file {rel} (matches {hit!r})",
        detail=f"{rel} is protected (it matches {hit!r}): mom's config, CI and hook files "
        "are never edited by a model unless the user allows it. Leave this file alone and "
        "change only source files. (User: allow it with safety.allow_edit in your own "
        "config or MOM_SAFETY__ALLOW_EDIT.)",
    )


def control_character(text: str) -> str:
    """A description of the first forbidden character in a path ("" if none)."""
    for ch in text:
        code = ord(ch)
        if ch in "\t\n":
            continue
        if code < 32 or 127 <= code < 160:
            return f"control character {ch!r}"
        if 0xD800 <= code <= 0xDFFF:
            return f"lone surrogate {ch!r} (not valid UTF-8)"
        if unicodedata.category(ch) == "Cf":
            return f"invisible format character U+{code:04X}"
    return ""


def check_size(rel: str, before: bytes | None, after: bytes, safety: SafetySection) -> None:
    limit = safety.max_file_bytes
    if len(after) <= limit or (before is not None and len(after) <= len(before)):
        return
    verb = "create" if before is None else "grow"
    raise EditError(
        f"{rel}: edit would {verb} it to {len(after):,} bytes (limit {limit:,})",
        detail=f"The edit would {verb} {rel} to {len(after):,} bytes, over the limit of "
        f"{limit:,} (safety.max_file_bytes). Write only the code the task needs.",
    )


def definitions(path: str, text: str) -> Counter[tuple[str, str, str]] | None:
    """(scope, kind, name) of every function/class/method, or None for a language tree-sitter
    does not handle here (the caller falls back to counting lines). Only the index's
    definitions query runs: references and signatures would double the cost."""
    from mom_cli.index.languages import BY_NAME, language_for

    spec = language_for(path)
    if spec is None:
        return None
    try:
        from tree_sitter import QueryCursor

        from mom_cli.index.languages import load

        loaded = load(spec.name)
        tree = loaded.parser.parse(text.encode("utf-8", "surrogateescape"))
        cursor = QueryCursor(loaded.defs)
        depth = BY_NAME[spec.name].def_depth
        if depth is not None:
            cursor.set_max_start_depth(depth)
        found: dict[tuple[int, int], tuple[str, str]] = {}
        for _pattern, captures in cursor.matches(tree.root_node):
            names = captures.get("name")
            for capture, nodes in captures.items():
                if names and capture.startswith("definition."):
                    node, name = nodes[0], names[0].text or b""
                    found.setdefault((node.start_byte, node.end_byte),
                                     (capture[11:], name.decode("utf-8", "replace")))  # fmt: skip
    except Exception:  # noqa: BLE001 - a missing grammar wheel must not block edits
        return None
    return Counter(_scoped(found))


def _scoped(found: dict[tuple[int, int], tuple[str, str]]) -> list[tuple[str, str, str]]:
    """Each definition with its enclosing definition's name (nesting by byte span)."""
    stack: list[tuple[int, str]] = []
    out = []
    for (start, end), (kind, name) in sorted(found.items(), key=lambda i: (i[0][0], -i[0][1])):
        while stack and stack[-1][0] <= start:
            stack.pop()
        if kind.startswith(_KINDS):
            out.append((stack[-1][1] if stack else "", kind, name))
        stack.append((end, name))
    return out


def removed_lines(before: str, after: str) -> int:
    """Lines of `before` missing from `after`, counted as a multiset (a changed line counts)."""
    return sum((Counter(before.splitlines()) - Counter(after.splitlines())).values())


def check_definitions(rel: str, before: str, after: str, safety: SafetySection) -> bool:
    """EditError when too many definitions vanish; False when structure cannot judge (a
    language not parsed here, or fewer than MIN_DEFINITIONS): the caller counts lines."""
    from mom_cli.index.languages import language_for  # lazy: the index package is heavy

    if language_for(rel) is None:
        return False
    if removed_lines(before, after) <= safety.max_removed_definitions * MIN_DEFINITIONS:
        return True  # too few lines gone to take more than the share of 4+ definitions
    old = definitions(rel, before)
    if old is None:
        return False
    total = sum(old.values())
    if total < MIN_DEFINITIONS:
        return False
    new = definitions(rel, after) or Counter()
    removed = sorted(name for (_, _, name) in (old - new).elements())
    if len(removed) > safety.max_removed_definitions * total:
        shown = ", ".join(removed[:8]) + (" …" if len(removed) > 8 else "")
        raise EditError(
            f"{rel}: edit would remove {len(removed)} of {total} definitions",
            detail=f"The edit to {rel} would remove {len(removed)} of its {total} functions, "
            f"classes and methods ({shown}). Edit only the code that must change "
            "(SEARCH/REPLACE); keep every definition the task does not ask to delete.",
        )
    return True
