"""Shared CLI plumbing: --repo/--config resolution, config loading, exit-code mapping."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.markup import escape as _markup_escape
from rich.text import Text

from mom_cli.cli.plain import print_json as print_json  # the commands import it from here
from mom_cli.errors import ExitCode, MomError
from mom_cli.paths import resolve_repo as resolve_repo  # the commands import it from here
from mom_cli.terminal_text import visible

if TYPE_CHECKING:  # pydantic and the config models cost ~0.1 s: only commands that load pay
    from mom_cli.config import LoadedConfig


def _width(stream: TextIO) -> int | None:
    """Terminals report their width; pipes and CI logs get a wide default instead of rich's
    80 columns, so summary tables are not truncated into unreadable stubs."""
    if stream.isatty():
        return None
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() else 160


def escape(text: str) -> str:
    """Untrusted text for a markup string: control characters shown (mom_cli.terminal_text)
    and `[...]` kept literal."""
    return _markup_escape(visible(text))


class SafeConsole(Console):
    """A rich Console that never sends a control character it was given as text to the
    terminal: every string it renders (print arguments, table cells, markup=False lines)
    passes through `visible` first. Rich's own styling still reaches the terminal."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(visible(text), **kwargs)


console = SafeConsole(stderr=False, highlight=False, emoji=False, width=_width(sys.stdout))
err_console = SafeConsole(stderr=True, highlight=False, emoji=False, width=_width(sys.stderr))

RepoOption = Annotated[
    Path | None,
    typer.Option("--repo", help="Repository to work on (default: git root of the current dir)."),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Config file to use instead of ~/.config/mom/routing.toml."),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print exactly one JSON document on stdout.")
]


def load(repo: Path | None, config: Path | None, **overrides: Any) -> LoadedConfig:
    from mom_cli.config import load_config

    loaded = load_config(repo=repo, config_path=config, overrides=overrides or None)
    warning = loaded.trust_warning()
    if warning and warning not in _warned:
        _warned.add(warning)  # one warning per process, however often config is loaded
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    return loaded


_warned: set[str] = set()


def repo_lock(root: Path, purpose: str, *, dry_run: bool = False) -> AbstractContextManager[Any]:
    """The repo lock every editing command holds (mom_cli.edits.lock); a second editing
    process exits at once with code 2 naming this one. A dry run edits nothing: no lock."""
    if dry_run:
        return nullcontext()
    from mom_cli.edits.lock import RepoLock

    return RepoLock(root, purpose)


@contextmanager
def cli_errors(json_mode: bool = False) -> Iterator[None]:
    """Turn MomError into a one-line message and the contract's exit code."""
    try:
        yield
    except MomError as exc:
        if json_mode:
            print_json({"error": str(exc), "kind": type(exc).__name__})
        else:
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/]")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
