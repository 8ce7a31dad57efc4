"""Control characters in model replies, file names and tool output are shown, not obeyed:
the escaper itself, the CLI's consoles, and the pre-commit hook on a real commit."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import hostile
from hostile import FakeServer, Reply
from hypothesis import given
from hypothesis import strategies as st
from rich.table import Table
from typer.testing import CliRunner

from mom_cli.cli.app import app
from mom_cli.cli.common import SafeConsole, escape
from mom_cli.hooks.install import install_hook
from mom_cli.terminal_text import is_unsafe, visible

TITLE = "\x1b]0;pwned\x07"  # retitles the terminal window
CLEAR = "\x1b[2J"  # clears the screen
LINK = "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"  # OSC 8 link
HOSTILE = f"a{TITLE}b{CLEAR}c{LINK}\rd\x9b31m\x7f"


def _controls(text: str) -> set[str]:
    return {ch for ch in text if (ord(ch) < 32 and ch not in "\n\t") or 127 <= ord(ch) < 160}


@given(st.text())
def test_visible_leaves_no_control_character_but_newline_and_tab(text: str) -> None:
    shown = visible(text)
    assert not _controls(shown)
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in shown)
    assert visible(shown) == shown  # idempotent: escaping twice shows the same text
    if not any(is_unsafe(ch) for ch in text):
        assert shown == text  # ordinary text (any script, emoji, \n, \t) is untouched


def test_visible_shows_what_the_sequence_was() -> None:
    assert visible(TITLE) == "\\x1b]0;pwned\\a"
    assert visible("over\rwrite\n\tok") == "over\\rwrite\n\tok"
    assert visible("\x9b") == "\\x9b"
    assert visible("caf\udce9.py") == "caf\\udce9.py"


def test_cli_console_escapes_plain_text_table_cells_and_markup() -> None:
    out = io.StringIO()
    console = SafeConsole(file=out, width=200, color_system=None)
    console.print(HOSTILE, markup=False)
    table = Table("file")
    table.add_row(escape(f"[/]{TITLE}.py"))  # a file named like closing markup
    console.print(table)
    console.print(f"[yellow]warning:[/] {escape('[bold]' + CLEAR)}")
    text = out.getvalue()
    assert not _controls(text)
    assert "\\x1b]0;pwned\\a" in text and "[/]\\x1b]0;pwned\\a.py" in text
    assert "[bold]\\x1b[2J" in text


NAME = f"ca{TITLE}lc.py"


def _bad_file_repo(make_repo: Callable[..., Path]) -> Path:
    repo = make_repo({"ok.py": "x = 1\n", "pyproject.toml": "[project]\nname='c'\n"})
    (repo / NAME).write_text(f"def add(a, b)\n    return '{CLEAR}'\n")
    return repo


def test_validate_prints_a_hostile_file_name_escaped(make_repo: Callable[..., Path]) -> None:
    repo = _bad_file_repo(make_repo)
    result = CliRunner().invoke(app, ["validate", "--repo", str(repo), str(repo / NAME)])
    assert result.exit_code == 1, result.output
    assert "ca\\x1b]0;pwned\\alc.py:1" in result.output
    assert not _controls(result.output)


def test_hook_output_escapes_file_names(
    make_repo: Callable[..., Path], run_git: Callable[..., str]
) -> None:
    repo = _bad_file_repo(make_repo)
    install_hook(repo)
    run_git(repo, "add", "--", NAME)
    blocked = subprocess.run(["git", "commit", "-m", "x"], cwd=repo, capture_output=True, text=True)
    assert blocked.returncode != 0
    assert "ca\\x1b]0;pwned\\alc.py:1" in blocked.stderr
    assert not _controls(blocked.stderr)


def test_mom_ask_prints_a_hostile_reply_escaped(hostile_model: FakeServer, tmp_path: Path) -> None:
    """A real `mom ask` process: the model's reply retitles and clears nothing."""
    repo = hostile.make_repo(tmp_path / "repo")
    hostile_model.script(Reply(content=f"Sure.{TITLE}{CLEAR}\rDone [bold]x[/bold]"))
    cfg = hostile.user_config(tmp_path / "user.toml", hostile_model.url)
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mom"), "ask", "hi", "--repo", str(repo),
         "--config", str(cfg)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "DEEPSEEK_API_KEY": hostile.SECRET},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Sure.\\x1b]0;pwned\\a\\x1b[2J\\rDone [bold]x[/bold]" in result.stdout
    assert not _controls(result.stdout + result.stderr)


def test_mom_runs_live_table_shows_model_text_literally() -> None:
    """`mom run`'s progress table: a step description or failure reason holding `[/]`
    crashed rich (MarkupError) and one holding ESC reached the terminal."""
    from mom_cli.cli.run_cmd import RunProgress
    from mom_cli.events import AttemptFailed, Notice, TaskStarted

    progress = RunProgress(quiet=False)
    progress(TaskStarted("t1", f"fix [/] and {CLEAR}"))
    progress(AttemptFailed("t1", "local", "m", f"[bold]{TITLE}"))
    progress(Notice(f"note [/]{TITLE}", level="warning"))
    out = io.StringIO()
    SafeConsole(file=out, width=200, color_system=None).print(progress.render())
    text = out.getvalue()
    assert "note [/]\\x1b]0;pwned\\a" in text and "[bold]\\x1b]0;pwned\\a" in text
    assert not _controls(text)
