"""Failures from a JavaScript test run that prints no TAP: read from its stack traces.

`npm test` runs whatever the project chose (uvu, jest, mocha, a plain `node test.js`);
only TAP has a parser of its own. Without one, a failed run was a single diagnostic with
the output's last line, e.g. `exit code 1: Duration: 23.21ms` (lukeed/kleur, uvu), which
names neither the test nor the file. Every runner prints a V8 stack for a failure, and
its first frame in the project (not node_modules, not node's internals) is where the
assertion is; the failure's headline is the nearest line above that says FAIL, Error or
the like. Output is untrusted text: paths outside the repository are ignored.
"""

from __future__ import annotations

import re
from pathlib import Path

from mom_cli.validate.diagnostics import Diagnostic

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# "at fn (/abs/path/file.js:19:10)", "at /abs/path/file.js:3:8", "at file:///abs/x.mjs:1:2",
# and "at /abs/a.js:2:49 {" when node prints the error's own properties after the stack
_FRAME = re.compile(
    r"^\s*at (?:.*?\()?(?:file://)?(?P<file>/[^\s():]+):(?P<line>\d+):\d+\)?(?:\s*\{)?\s*$"
)
# The failure's headline, strongest first: a runner's header (uvu's FAIL, jest's ●, TAP,
# mocha's "1) "), then an exception line ("AssertionError [ERR_ASSERTION]: …"), then marks.
_HEADLINES = (
    re.compile(r"^(?:FAIL\b|●|not ok\b|\d+\) )"),
    re.compile(r"^\w*(?:Error|Exception)\b[^(]*:"),
    re.compile(r"✘|✕|✖|\bexpected\b", re.IGNORECASE),
)
MAX_FAILURES = 20


def parse_js_stack(text: str, root: Path, tool: str = "npm") -> list[Diagnostic]:
    """One diagnostic per stack trace with a frame in a project file (the first such
    frame), its message the failure's headline and the line after it."""
    out: list[Diagnostic] = []
    recent: list[str] = []  # the lines since the last stack: the failure's report
    in_stack = done = False
    base = root.resolve()
    for raw in _ANSI.sub("", text).splitlines():
        frame = _FRAME.match(raw)
        if frame is None:
            if in_stack:
                recent, in_stack, done = [], False, False
            if raw.strip():
                recent.append(raw.strip())
            continue
        in_stack = True
        rel = _project_file(frame.group("file"), base)
        if done or rel is None:
            continue
        done = True
        out.append(
            Diagnostic(
                "tests", rel, int(frame.group("line")), _headline(recent), "error", 0, "", tool
            )
        )
        if len(out) >= MAX_FAILURES:
            break
    return out


def _project_file(name: str, root: Path) -> str | None:
    path = Path(name)
    try:
        rel = path.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return None
    return None if "node_modules" in rel.split("/") else rel


def _headline(lines: list[str]) -> str:
    for pattern in _HEADLINES:
        for i, line in enumerate(lines):
            if pattern.search(line):
                return " ".join(lines[i : i + 2])[:300]
    return " ".join(lines[-2:])[:300] or "failed"
