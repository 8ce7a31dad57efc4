"""Untrusted text made safe to show on a terminal.

Model replies, file names and tool output reach the user's terminal. A raw ESC there is
a command, not a character: `\\x1b]0;...\\x07` retitles the window, `\\x1b[2J` clears the
screen, OSC 8 draws a link whose target is not its text, and a `\\r` lets a line
overwrite what came before it (a diff that hides its own first half). Rich passes ESC
through unchanged. `visible` renders every C0 and C1 control character (and DEL) except
newline and tab as a visible Python-style escape (`\\x1b`, `\\r`, `\\x9b`), so the user
sees what the text holds instead of the terminal obeying it. Lone surrogates (bytes of
a non-UTF-8 file name, decoded with surrogateescape) are shown the same way: written
as they are, they would crash a UTF-8 stream.

Pure and dependency-free: the CLI, the pre-commit hook and the TUI all call it at the
point where text is printed.
"""

from __future__ import annotations

import re

_NAMED = {"\r": "\\r", "\b": "\\b", "\f": "\\f", "\v": "\\v", "\a": "\\a", "\0": "\\0"}
# C0 without \t (09) and \n (0a), DEL, C1, and the surrogate block
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _shown(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every control character but newline and tab shown as an escape."""
    return _UNSAFE.sub(_shown, text)


def is_unsafe(ch: str) -> bool:
    """True for a character `visible` would replace (one character)."""
    return _UNSAFE.fullmatch(ch) is not None
