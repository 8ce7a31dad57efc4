"""The `mom` entry point: `mom index` and `mom context` skip Typer when their arguments are plain.

Those two commands are meant to be invisible (the engine and editor integrations call
them before every step), and Typer, rich and pydantic cost ~0.3 s a call (imports plus
Typer's pydantic-based option coercion; measured with scripts/bench_index.py). When
every argument is one this parser understands for certain, the command runs from
`index_run` directly; anything else (--help, a typo, an unusual form) goes to the Typer
app, which owns help text and usage errors. Both paths run the same functions.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_FLAGS = {"index": {"--json"}, "context": {"--json", "--summarized"}}
_VALUED = {
    "index": {"--repo", "--config"},
    "context": {"--repo", "--config", "--budget", "--file", "--session"},
}
_INTEGER = re.compile(r"-?[0-9]+")


def main() -> None:
    """Console-script entry: fast path when it applies, the Typer app otherwise.
    `mom` alone opens the interactive session (Textual loads only then)."""
    if not sys.argv[1:]:
        from mom_cli.tui import launch

        sys.exit(launch())
    parsed = parse_fast(sys.argv[1:])
    if parsed is not None:
        sys.exit(run_fast(*parsed))
    from mom_cli.cli.app import main as typer_main

    typer_main()


def parse_fast(argv: Sequence[str]) -> tuple[str, dict[str, Any]] | None:
    """(command, options) when `argv` is certainly a plain index/context call, else None."""
    if not argv or argv[0] not in _FLAGS:
        return None
    command, rest = argv[0], list(argv[1:])
    flags, valued = _FLAGS[command], _VALUED[command]
    options: dict[str, Any] = {"files": []}
    positional: list[str] = []
    while rest:
        token = rest.pop(0)
        if not token.startswith("-"):
            positional.append(token)
            continue
        name, eq, value = token.partition("=")
        if name in flags and not eq:
            options[name[2:]] = True
        elif name in valued:
            if not eq:
                if not rest:
                    return None
                value = rest.pop(0)
            if not value or (name == "--budget" and not _INTEGER.fullmatch(value)):
                return None
            if not eq and value.startswith("-") and name != "--budget":
                return None  # `--repo -x`: how Click reads that is Click's business
            if name == "--file":
                options["files"].append(value)
            elif name[2:] in options:
                return None  # given twice: let the Typer app decide what that means
            else:
                options[name[2:]] = value
        else:
            return None
    expected = 1 if command == "context" else 0
    if len(positional) != expected or (positional and not positional[0]):
        return None
    if positional:
        options["query"] = positional[0]
    return command, options


def run_fast(command: str, options: dict[str, Any]) -> int:
    from mom_cli.cli.index_run import run_context, run_index

    repo = Path(options["repo"]) if "repo" in options else None
    config = Path(options["config"]) if "config" in options else None
    json_mode = bool(options.get("json"))
    if command == "index":
        return run_index(repo, config, json_mode)
    budget = int(options["budget"]) if "budget" in options else None
    return run_context(
        options["query"],
        budget,
        bool(options.get("summarized")),
        options["files"],
        repo,
        config,
        json_mode,
        options.get("session"),
    )
