"""Temp directories that never outlive mom, even when mom itself is killed.

A `with tempfile.TemporaryDirectory()` is removed when the block exits, but not when the
process dies inside it (SIGKILL, SIGTERM, a CI timeout, a closed terminal): pytest's JUnit
folders (`/tmp/mom-junit-*`) piled up that way. So every temp dir mom makes carries its
creator's pid (`mom-<kind>-<pid>-<random>`), and `sweep_stale()`, called when a run starts,
removes those whose creator is gone. Unnamed legacy folders (`mom-junit-<random>`) are
removed once they are an hour old.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

KINDS = ("junit", "staged", "index", "javac", "tsc")
_KIND = "|".join(KINDS)
_TAGGED = re.compile(rf"^mom-(?:{_KIND})-(\d+)-\w+$")
_LEGACY = re.compile(rf"^mom-(?:{_KIND})-\w+$")
LEGACY_AGE_SECONDS = 3600.0


@contextlib.contextmanager
def temp_dir(kind: str) -> Iterator[str]:
    """A fresh temp dir named for `kind` and this process; removed on exit."""
    path = tempfile.mkdtemp(prefix=f"mom-{kind}-{os.getpid()}-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


_PROCESS_DIRS: dict[str, Path] = {}


def process_temp_dir(kind: str) -> Path:
    """One temp dir per `kind` for this process's lifetime, for state that pays off across
    the checks of one run (tsc's build info); removed at exit, or swept if killed."""
    path = _PROCESS_DIRS.get(kind)
    if path is None or not path.is_dir():
        path = Path(tempfile.mkdtemp(prefix=f"mom-{kind}-{os.getpid()}-"))
        _PROCESS_DIRS[kind] = path
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def sweep_stale(root: Path | None = None, now: float | None = None) -> list[Path]:
    """Remove the temp dirs of mom processes that no longer run; return what was removed."""
    root = Path(root or tempfile.gettempdir())
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for entry in entries:
        tagged = _TAGGED.match(entry.name)
        if tagged is not None:
            stale = not _alive(int(tagged.group(1)))
        elif _LEGACY.match(entry.name):
            try:
                stale = now - entry.stat().st_mtime > LEGACY_AGE_SECONDS
            except OSError:
                continue
        else:
            continue
        if stale and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed
