"""The Textual session. `launch` is all the CLI imports; Textual loads only inside it,
so `mom index`, `mom context` and every other command never pay for it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HINT = "mom: the interactive session needs Textual; install it with: pip install 'mom-cli[tui]'"


def launch(repo: Path | None = None, config: Path | None = None) -> int:
    """Open the app; the exit code the process should end with."""
    try:
        import textual  # noqa: F401
    except ImportError:
        print(HINT, file=sys.stderr)
        return 2
    from mom_cli.tui.app import open_app

    app = open_app(repo, config)
    app.run()
    code = app.return_code or 0
    if app.detached:
        # The terminal is gone: Textual's input and output threads can wait forever on it,
        # and interpreter shutdown would wait for them. The run is finished and recorded.
        os._exit(code)
    return code
