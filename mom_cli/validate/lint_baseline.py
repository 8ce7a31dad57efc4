"""Lint findings that were already committed are not the change's fault.

When a project has no ruff config, mom lints it with its own pinned default rules: a
stand-in for a linter the project never chose. Real projects then report dozens of
findings nobody introduced (boltons: ~100), and fix-build would rewrite files the user
never asked about. So, for such projects only, a finding that HEAD already has (same file,
code and message; counted, so a second copy of a finding is still new) is downgraded to
"info" and labelled: it is reported, but it neither fails the stage nor becomes a target
for rules or models. A project that configures ruff gets every finding, as it asked,
except in the pre-commit hook: a commit is judged by what it adds, so touching a file
with committed debt does not block it. `mom run` judges its edits the same way, against
the work tree as it was before the run (its snapshot), so neither committed debt nor the
user's own uncommitted findings fail an edit that did not add them.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from mom_cli.validate.diagnostics import Diagnostic

PREEXISTING_NOTE = " (already in HEAD; not counted)"
BEFORE_RUN_NOTE = " (already there before this run; not counted)"
Key = tuple[str, str, str]
_TOOLS = ("ruff", "flake8")  # the linters mom runs on the project's behalf
HeadLinter = Callable[[str, str], list[Diagnostic]]  # (path, HEAD text) -> findings


def finding_key(d: Diagnostic) -> Key:
    """Line-independent identity: edits above a finding move it without making it new."""
    return (d.file, d.code, re.sub(r"\d+", "#", d.message))


def is_preexisting(d: Diagnostic) -> bool:
    """Whether `d` was downgraded by `mark_preexisting` (against HEAD or a run's start)."""
    return d.message.endswith((PREEXISTING_NOTE, BEFORE_RUN_NOTE))


def head_blobs(repo: Path, files: Sequence[str], rev: str = "HEAD") -> dict[str, bytes]:
    """`rev`'s content of each of `files` that it has (empty without git or commits)."""
    if not files:
        return {}
    request = "".join(f"{rev}:{f}\n" for f in files).encode()
    try:
        proc = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=repo,
            input=request,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if proc.returncode != 0:
        return {}
    out, pos, blobs = proc.stdout, 0, {}
    for rel in files:
        end = out.find(b"\n", pos)
        if end < 0:
            break
        header = out[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            blobs[rel] = out[pos : pos + size]
            pos += size + 1
        elif len(header) == 3:  # a tree or other object: skip its body
            pos += int(header[2]) + 1
    return blobs


def _content(path: Path) -> bytes:
    """What git stores for `path`: a symlink's blob is its target, not the file it names
    (python-semver's tests/coerce.py links to docs/: its debt read as new)."""
    if path.is_symlink():
        return os.fsencode(os.readlink(path))
    return path.read_bytes()


def mark_preexisting(
    diagnostics: Sequence[Diagnostic],
    root: Path,
    repo: Path,
    lint_head: HeadLinter,
    base: str = "HEAD",
) -> list[Diagnostic]:
    """Downgrade the ruff findings `base` already had to "info" (see the module docstring).

    `root` holds the content being validated (the work tree or the exported index), `repo`
    the git repository whose `base` revision (HEAD, or a run's snapshot) is the baseline.
    """
    note = PREEXISTING_NOTE if base == "HEAD" else BEFORE_RUN_NOTE
    files = sorted({d.file for d in diagnostics if d.tool in _TOOLS and d.file})
    blobs = head_blobs(repo, files, base)
    if not blobs:
        return list(diagnostics)
    budget: Counter[Key] = Counter()
    for rel, blob in blobs.items():
        try:
            unchanged = _content(root / rel) == blob
        except OSError:
            continue
        if unchanged:
            budget.update(finding_key(d) for d in diagnostics if d.file == rel and d.tool in _TOOLS)
        else:
            text = blob.decode("utf-8", errors="replace")
            budget.update(finding_key(d) for d in lint_head(rel, text))
    out = []
    for d in diagnostics:
        key = finding_key(d)
        if d.tool in _TOOLS and d.severity == "error" and budget[key] > 0:
            budget[key] -= 1
            d = replace(d, severity="info", message=d.message + note)
        out.append(d)
    return out
