"""Per-test failures out of test runner output: pytest (JUnit XML), cargo test, go test,
TAP (node --test, many npm test scripts). No I/O besides reading the XML file given."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.doctest_failure import parse_doctest_failure
from mom_cli.validate.parsers import relpath

MAX_DETAIL_CHARS = 8000  # a traceback's worth; enough for its project frames


def parse_junit(xml_path: Path, root: Path, tool: str = "pytest") -> list[Diagnostic]:
    """Failures and errors from a JUnit XML report (pytest `-o junit_family=xunit1`)."""
    try:
        tree = ET.parse(xml_path)
    except (ET.ParseError, OSError):
        return []
    out = []
    for case in tree.iter("testcase"):
        for kind in ("failure", "error"):
            node = case.find(kind)
            if node is None:
                continue
            file = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
            test_id = _node_id(file, case.get("classname", ""), case.get("name", ""))
            message = (node.get("message") or "").strip() or (node.text or "").strip()
            if message in ("collection failure", "") or message.startswith("failed on setup"):
                message = _last_e_line(node.text or "") or message
            line = _line_in_file(node.text or "", file) or int(case.get("line") or 0) + 1
            prefix = "error in" if kind == "error" else "failed"
            first = message.splitlines()[0] if message else ""
            doctest = parse_doctest_failure(node.text or "")
            if doctest is not None:
                first = doctest.summary
                if relpath(doctest.path, root) == relpath(file, root):
                    line = doctest.line
            out.append(
                Diagnostic(
                    "tests",
                    relpath(file, root),
                    line,
                    f"{prefix} {case.get('name', '')}: {first}"[:500],
                    "error",
                    0,
                    test_id,
                    tool,
                    detail=(node.text or "")[:MAX_DETAIL_CHARS],
                )
            )
    return out


def _node_id(file: str, classname: str, name: str) -> str:
    """pytest's node id, class included: a mixin's test run by three TestCase classes is
    three failures, not one line printed three times."""
    module = file.removesuffix(".py").replace("/", ".")
    classes = classname[len(module) + 1 :] if classname.startswith(module + ".") else ""
    return "::".join([file, *classes.split("."), name] if classes else [file, name])


def _last_e_line(text: str) -> str:
    """pytest marks the exception lines of a traceback with `E   `; the last one names it."""
    lines = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("E ")]
    return lines[-1] if lines else ""


def _line_in_file(traceback: str, file: str) -> int:
    """The last `file:LINE:` mention in a pytest traceback: where the assertion failed."""
    hits = re.findall(rf"^{re.escape(file)}:(\d+):", traceback, re.M)
    return int(hits[-1]) if hits else 0


_LOC = r"(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+)"
_PANIC_NEW = re.compile(
    rf"thread '(?P<name>[^']+)'(?: \(\d+\))? panicked at {_LOC}:\n"
    r"(?P<msg>[^\n]*(?:\n\s+(?:left|right)[^\n]*)*)"
)
_PANIC_OLD = re.compile(
    rf"thread '(?P<name>[^']+)'(?: \(\d+\))? panicked at '(?P<msg>[^\n]*)', {_LOC}"
)
_FAILED_TEST = re.compile(r"^test (?P<name>\S+|\S+ - .+?) \.\.\. FAILED$", re.M)
# a doctest's section: "---- src/lib.rs - levenshtein (line 276) stdout ----"; its panic
# is thread 'main' at a line of the generated program, not of the file
_DOCTEST = re.compile(
    r"^---- (?P<name>(?P<file>\S+) - .+? \(line (?P<line>\d+)\)) stdout ----$", re.M
)
_RUSTC_ERR = re.compile(
    r"^(?P<sev>error|warning)(?:\[(?P<code>E\d+)\])?: (?P<msg>.+)\n"
    r"\s*--> (?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+)",
    re.M,
)


def parse_cargo_test(text: str, root: Path) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen = set()
    doctests = list(_DOCTEST.finditer(text))
    for pattern in (_PANIC_NEW, _PANIC_OLD):
        for m in pattern.finditer(text):
            name, file, line, col = (m.group(k) for k in ("name", "file", "line", "col"))
            doc = next((d for d in reversed(doctests) if d.start() < m.start()), None)
            if name == "main" and doc is not None:
                name, file, line, col = doc.group("name"), doc.group("file"), doc.group("line"), "0"
            seen.add(name)
            msg = " ".join(part.strip() for part in m.group("msg").splitlines())
            out.append(
                Diagnostic(
                    "tests",
                    relpath(file, root),
                    int(line),
                    f"failed {name}: {msg}"[:500],
                    "error",
                    int(col),
                    name,
                    "cargo",
                )
            )
    for m in _FAILED_TEST.finditer(text):
        if m.group("name") not in seen:
            seen.add(m.group("name"))
            out.append(
                Diagnostic(
                    "tests",
                    "",
                    0,
                    f"failed {m.group('name')}",
                    "error",
                    0,
                    m.group("name"),
                    "cargo",
                )
            )
    for m in _RUSTC_ERR.finditer(text):
        if m.group("sev") == "error":
            out.append(
                Diagnostic(
                    "tests",
                    relpath(m.group("file"), root),
                    int(m.group("line")),
                    m.group("msg"),
                    "error",
                    int(m.group("col")),
                    m.group("code") or "",
                    "cargo",
                )
            )
    return out


_GO_FAIL = re.compile(r"^\s*--- FAIL: (?P<name>\S+)", re.M)
_GO_LOC = re.compile(r"^\s+(?P<file>[\w./-]+_test\.go):(?P<line>\d+): (?P<msg>.*)$", re.M)
# where a FAIL line's own indented log ends: the next test's header or an unindented line
_GO_BLOCK_END = re.compile(r"^(?:[ \t]*(?:--- |=== )|\S)", re.M)


def parse_go_test(text: str, root: Path) -> list[Diagnostic]:
    """One diagnostic per `--- FAIL`. Go 1.14+ prints a test's log lines under its FAIL
    line; verbose runs and older Go print them before it. A location under some FAIL line
    belongs to that test alone; otherwise the nearest unclaimed one before is used."""
    failures = list(_GO_FAIL.finditer(text))
    locations = list(_GO_LOC.finditer(text))
    own: dict[int, re.Match[str]] = {}
    for i, m in enumerate(failures):
        block_end = _GO_BLOCK_END.search(text, m.end())
        end = block_end.start() if block_end else len(text)
        under = [loc for loc in locations if m.end() <= loc.start() < end]
        if under:
            own[i] = under[0]
    claimed = {id(loc) for loc in own.values()}
    out = []
    for i, m in enumerate(failures):
        before = [loc for loc in locations if loc.start() < m.start() and id(loc) not in claimed]
        loc = own.get(i) or (before[-1] if before else None)
        out.append(
            Diagnostic(
                "tests",
                relpath(loc.group("file"), root) if loc else "",
                int(loc.group("line")) if loc else 0,
                f"failed {m.group('name')}" + (f": {loc.group('msg')}" if loc else ""),
                "error",
                0,
                m.group("name"),
                "go",
            )
        )
    return out


_TAP_NOT_OK = re.compile(r"^\s*not ok \d+ - (?P<name>.+?)\s*(?:#.*)?$", re.M)
# node --test's YAML block under a failure: where the test is, and whether it failed only
# because a subtest did (that subtest is reported on its own)
_TAP_LOCATION = re.compile(r"^\s+location: '(?P<file>[^'\n]+?):(?P<line>\d+):\d+'$", re.M)
_TAP_BLOCK_END = re.compile(r"^\s*(?:\.\.\.|(?:not )?ok \d+)", re.M)


def parse_tap(text: str, tool: str = "npm", root: Path | None = None) -> list[Diagnostic]:
    """One diagnostic per `not ok`; with `root`, at the test's location when node's YAML
    block names a file under it (any other path is left out: output is untrusted)."""
    out = []
    for m in _TAP_NOT_OK.finditer(text):
        end = _TAP_BLOCK_END.search(text, m.end())
        block = text[m.end() : end.start() if end else len(text)]
        if "failureType: 'subtestsFailed'" in block:
            continue
        file, line = "", 0
        loc = _TAP_LOCATION.search(block)
        if loc is not None and root is not None:
            rel = relpath(loc.group("file"), root)
            inside = not rel.startswith("/") and ".." not in rel.split("/")
            if inside and (root / rel).is_file():
                file, line = rel, int(loc.group("line"))
        name = m.group("name")
        out.append(Diagnostic("tests", file, line, f"failed {name}", "error", 0, name, tool))
    return out
