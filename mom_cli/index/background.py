"""Finish the index in a detached child, so a first `mom context` need not wait for it.

The child runs `python -m mom_cli.index.background ROOT STATE_DIR` in its own session
(it outlives the command and ignores the terminal's Ctrl-C), holds the index lock while it
builds, and prints nothing. If it cannot start or dies, the next call builds instead.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

from mom_cli.index.lock import is_locked


def start_build(root: Path, state_dir: Path) -> bool:
    """Start the detached build unless one is already running; True when one runs."""
    if is_locked(state_dir):
        return True
    try:
        subprocess.Popen(
            [sys.executable, "-m", "mom_cli.index.background", os.fspath(root),
             os.fspath(state_dir)],
            cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True,
        )  # fmt: skip
    except OSError:
        return False
    return True


def main(argv: list[str]) -> int:
    from mom_cli.index.api import CodeIndex

    root, state_dir = Path(argv[0]), Path(argv[1])
    with contextlib.suppress(OSError):
        os.nice(10)  # the user's next command comes first
    CodeIndex(root, state_dir).refresh()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
