"""Failures from a JavaScript test run that prints no TAP: read from its stack traces.

`npm test` runs whatever the project chose (uvu, jest, mocha, a plain `node test.js`);
only TAP has a parser of its own. Without one, a failed run was a single diagnostic with
the output's last line, e.g. `exit code 1: Duration: 23.21ms` (lukeed/kleur, uvu), which
names neither the test nor the file. Every runner prints a V8 stack for a failure, and
its first frame in the project (not node_modules, not node's internals) is where the
assertion is; the failure's headline is the nearest line above that says FAIL, Error or
the like. Output is untrusted text: paths outside the repository are ignored.

The failure's code is the test's name as the runner printed it (uvu's `FAIL "codes"`, jest's
`● math › adds`, vitest's `FAIL a.test.ts > math > adds`, mocha's `1) suite` lines, node's
`✖ name`), after the test file's header when the runner prints one: the base check
(base_runner) tells a failure that was already there from a new one by it.
"""

from __future__ import annotations

import re
from pathlib import Path

from mom_cli.validate.diagnostics import Diagnostic

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# "at fn (/abs/path/file.js:19:10)", "at /abs/path/file.js:3:8", "at file:///abs/x.mjs:1:2",
# and "at /abs/a.js:2:49 {" when node prints the error's own properties after the stack
# jest's repo-relative "at Object.toBe (test/sum.test.js:4:38)", vitest's "❯ a.test.ts:4:38"
_FRAME = re.compile(
    r"^\s*(?:at (?:.*?\()?|❯ )(?:file://)?(?P<file>/[^\s():]+|[\w.@-][^\s():]*\.[cm]?[jt]sx?)"
    r":(?P<line>\d+):\d+\)?(?:\s*\{)?\s*$"
)
# node's own frames ("at wrapSafe (node:internal/modules/cjs/loader:1464:18)"): part of
# the stack, never a project file (they were read as the failure's message).
_NODE_FRAME = re.compile(r"^\s*at (?:.*?\()?node:[\w/.-]+:\d+:\d+\)?\s*$")
# node's banner above an uncaught error: "/abs/index.js:51", the source line and a caret.
# For a SyntaxError in a module a test requires it is the only place naming the broken
# file; the stack starts at the require in the test.
_BANNER = re.compile(
    r"^(?:file://)?(?P<file>/[^\s():]+|[\w.@-][^\s():]*\.[cm]?[jt]sx?):(?P<line>\d+)$"
)
# The failure's headline, strongest first: a runner's header (uvu's FAIL, jest's ●, TAP,
# mocha's "1) "), then an exception line ("AssertionError [ERR_ASSERTION]: …"), then marks.
_HEADLINES = (
    re.compile(r"^(?:FAIL\b|●|not ok\b|\d+\) )"),
    re.compile(r"^(?:Uncaught )?\w*(?:Error|Exception)\b[^(]*:"),  # mocha: "Uncaught …"
    re.compile(r"✘|✕|✖|\bexpected\b", re.IGNORECASE),
)
MAX_FAILURES = 20
# A line that is just a test file (uvu's section header; jest's "FAIL test/a.test.js").
_FILE_HEADER = re.compile(
    r"^(?:(?:FAIL|PASS)\s+)?(?P<path>[\w./@-]+\.[cm]?[jt]sx?)(?:\s+\([\d.]+ ?m?s\))?$"
)
_NAMES = (
    re.compile(r"^FAIL\s+(?P<name>.*\S)$"),  # uvu ("suite" "name"), vitest (a.ts > s > name)
    re.compile(r"^● (?P<name>.*\S)$"),  # jest
    re.compile(r"^(?:✖|✕|×) (?P<name>.*?)(?: \([\d.]+ ?m?s\))?$"),  # node spec, vitest
    re.compile(r"^not ok \d+ - (?P<name>.*?)(?:\s+#.*)?$"),  # TAP mixed into other output
)
_MOCHA = re.compile(r"^\d+\) (?P<name>.*\S)$")
MAX_NAME = 200


def parse_js_stack(text: str, root: Path, tool: str = "npm") -> list[Diagnostic]:
    """One diagnostic per stack trace with a frame in a project file (the first such
    frame), its message the failure's headline and the line after it."""
    out: list[Diagnostic] = []
    recent: list[str] = []  # the lines since the last stack: the failure's report
    header = ""  # the test file the runner is reporting on, when it says
    in_stack = done = False
    base = root.resolve()
    for raw in _ANSI.sub("", text).splitlines():
        if _NODE_FRAME.match(raw):
            in_stack = True
            continue
        frame = _FRAME.match(raw)
        if frame is None:
            if in_stack:
                recent, in_stack, done = [], False, False
            if raw.strip():
                recent.append(raw.strip())
                if file_header := _FILE_HEADER.match(raw.strip()):
                    header = file_header.group("path")
            continue
        in_stack = True
        rel = _project_file(frame.group("file"), base)
        if done or rel is None:
            continue
        done = True
        name = test_name(recent, header)
        rel, line = _banner(recent, base) or (rel, int(frame.group("line")))
        found = Diagnostic("tests", rel, line, _headline(recent), "error", 0, name, tool)
        if found not in out:  # jest repeats every failure in its closing summary
            out.append(found)
        if len(out) >= MAX_FAILURES:
            break
    return out


def test_name(report: list[str], header: str = "") -> str:
    """The failing test's name in a failure's report lines (see the module docstring),
    after its file's header unless the name already holds it; "" when none is printed."""
    name = ""
    for i in reversed(range(len(report))):  # the header nearest the stack: mocha's spec
        line = report[i]  # reporter lists "1) name" long before its summary's "1) suite"
        if _FILE_HEADER.match(line):
            continue
        if mocha := _MOCHA.match(line):
            rest = report[i + 1 : i + 4]
            end = next((k for k, part in enumerate(rest) if part.endswith(":")), -1)
            name = " › ".join([mocha.group("name"), *rest[: end + 1]]).removesuffix(":")
            break
        found = next((m for p in _NAMES if (m := p.match(line))), None)
        if found is not None:
            name = " ".join(found.group("name").replace('"', " ").split())
            break
    if not name:
        return ""
    if header and not name.startswith(header):
        name = f"{header} > {name}"
    return name[:MAX_NAME]


def _project_file(name: str, root: Path) -> str | None:
    path = Path(name) if name.startswith("/") else root / name
    try:
        rel = path.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return None
    return None if "node_modules" in rel.split("/") else rel


def _banner(report: list[str], root: Path) -> tuple[str, int] | None:
    """Where node's banner says an uncaught error was thrown, in a project file."""
    for line in reversed(report):
        if (found := _BANNER.match(line)) and (rel := _project_file(found["file"], root)):
            return rel, int(found["line"])
    return None


def _headline(lines: list[str]) -> str:
    """The runner's header nearest the stack, or the exception line after it when there
    is one: mocha lists "1) should inflate JSON cookies" in its spec listing long before
    its summary's "1) suite / test:" and "Error: expected …" (expressjs/cookie-parser)."""
    headers = [
        i for i, ln in enumerate(lines) if _HEADLINES[0].search(ln) and not _FILE_HEADER.match(ln)
    ]
    if headers:
        start = headers[-1]
        after = range(start, len(lines))
        at = next((i for i in after if _HEADLINES[1].search(lines[i])), start)
        return " ".join(lines[at : at + 2])[:300]
    for pattern in _HEADLINES[1:]:
        for i, line in enumerate(lines):
            if pattern.search(line) and not _FILE_HEADER.match(line):
                return " ".join(lines[i : i + 2])[:300]
    return " ".join(lines[-2:])[:300] or "failed"
