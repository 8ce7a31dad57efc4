"""Which repo paths mom may write: the one rule shared by edits and by undo.

An edit block names a path a model chose; a step record names a path read back from
`.mom/checkpoints/`, which a hostile clone can ship (git tracks whatever a repo commits)
and code run by the tests stage can write. Both are untrusted text, so both go through
`resolve_repo_path` before a byte is written.

Installed environments are refused too: a folder holding `pyvenv.cfg` (a virtualenv,
whatever it is called) or `conda-meta/`, and any `node_modules/`, `site-packages/` or
`dist-packages/`. Code there is a dependency's, reinstalled at will; a model that
"fixes" a failure by patching it hides the bug in the user's code and changes what every
other project using that environment runs.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from mom_cli.edits import guard
from mom_cli.errors import EditError, PathEscapeError
from mom_cli.paths import STATE_DIR_NAME

_FORBIDDEN_DIRS = {".git", STATE_DIR_NAME}
ENVIRONMENT_DIRS = ("node_modules", "site-packages", "dist-packages")
_ENVIRONMENT_MARKERS = ("pyvenv.cfg", "conda-meta")  # a folder holding one is an environment


def resolve_repo_path(repo: Path, raw: str) -> tuple[Path, str]:
    """(absolute path, repo-relative POSIX path) for `raw`, or PathEscapeError.

    Containment is checked after resolving symlinks, so a link (file or folder) that
    points outside the repo, or into `.git/`, is caught however it is spelled.
    """
    root = repo.resolve()
    text = raw.strip().replace("\\", "/")
    why = lexical_problem(text)
    if why:
        raise _escape(raw, why)
    lexical = root / text
    if lexical.is_symlink():
        raise _escape(raw, "it is a symbolic link; edit the file it points to instead")
    resolved = lexical.resolve()
    if not resolved.is_relative_to(root):
        raise _escape(raw, "it resolves (through a symbolic link) outside the repository")
    rel = resolved.relative_to(root)
    if not rel.parts:
        raise _escape(raw, "it names the repository root, not a file")
    if any(part.lower() in _FORBIDDEN_DIRS for part in rel.parts):
        raise _escape(raw, "it resolves into .git/ or .mom/")
    why = environment_problem(rel.parts) or _environment_on_disk(root, rel.parts)
    if why:
        raise _escape(raw, why)
    if resolved.is_dir():
        raise EditError(f"{raw}: is a directory", detail=f"{raw} is a directory, not a file.")
    return resolved, rel.as_posix()


def lexical_problem(text: str) -> str:
    """Why `text` can never name a file mom writes ("" when it might; symlinks are checked
    by `resolve_repo_path`)."""
    if not text or "\0" in text:
        return "it is empty or contains a NUL byte"
    bad = guard.control_character(text)
    if bad:
        return f"it contains a {bad}"
    if text.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", text):
        return "it is absolute; paths must be relative to the repository root"
    parts = PurePosixPath(text).parts
    if ".." in parts:
        return "it contains '..'"
    if any(part.lower() in _FORBIDDEN_DIRS for part in parts):
        return "files under .git/ and .mom/ are never edited"
    return environment_problem(parts)


def environment_problem(parts: tuple[str, ...]) -> str:
    """Why a path with these parts is inside an installed environment ("" if it is not)."""
    for index, part in enumerate(parts[:-1]):
        if part.lower() in ENVIRONMENT_DIRS:
            where = "/".join(parts[: index + 1])
            return f"it is inside {where}/ (installed packages){_ENV_ADVICE}"
    return ""


def _environment_on_disk(root: Path, parts: tuple[str, ...]) -> str:
    """Why a path is inside a virtualenv or conda environment of the repo ("" if not); the
    repository root itself is not checked (a project may keep its config beside one)."""
    folder = root
    for index, part in enumerate(parts[:-1]):
        folder = folder / part
        marker = next((m for m in _ENVIRONMENT_MARKERS if (folder / m).exists()), None)
        if marker is not None:
            where = "/".join(parts[: index + 1])
            return f"it is inside {where}/ (a Python environment: it holds {marker}){_ENV_ADVICE}"
    return ""


_ENV_ADVICE = "; mom never edits installed code: change the project's own source instead"


def is_clean_relative(text: str) -> bool:
    """True for the exact form `resolve_repo_path` returns: relative, normalised POSIX,
    outside .git/ and .mom/. Step records mom writes hold only such paths."""
    return (
        not lexical_problem(text)
        and "\\" not in text
        and PurePosixPath(text).as_posix() == text
        and not text.startswith("./")
    )


def _escape(raw: str, why: str) -> PathEscapeError:
    return PathEscapeError(
        f"refused edit path {raw!r}: {why}",
        detail=f"The path {raw!r} was refused: {why}. Use a path relative to the "
        "repository root, inside the repository.",
    )
