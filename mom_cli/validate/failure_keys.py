"""What makes two test failures "the same failure", at the base and now, for any runner.

fix-build tells a failure the change introduced from one that was already there by
running the tests at the base (head_tests, base_runner) and comparing. pytest names each
test by node id; cargo, go test and TAP runners by test name; a JS run parsed from its
stack traces (jsfailures) by the runner's header ("FAIL "codes"", "● math › adds") when it
has one. A failure with no such name (e.g. "exit code 1: Duration: 6.03ms") is keyed by its
message with the numbers that change from run to run (durations, counts) taken out, and
the run's own failure count is what decides (see base_runner).
"""

from __future__ import annotations

import re

from mom_cli.validate.diagnostics import Diagnostic

GENERIC_TOOL = "test"  # validate.tests' tool for output only parse_generic could read
BASE_FAILING_NOTE = " (fails at the base too; not in scope)"  # fix_scope's label
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_RUSTC_CODE = re.compile(r"E\d{4}")
_DOCTEST_LINE = re.compile(r" \(line \d+\)$")  # cargo: "src/lib.rs - add (line 12)"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# A run's own failure count, as each runner summarises it.
_COUNTS = (
    re.compile(r"test result: FAILED\. \d+ passed; (?P<n>\d+) failed"),  # cargo (summed)
    re.compile(r"^# fail (?P<n>\d+)\s*$", re.M),  # TAP (node --test)
    re.compile(r"^\s*Tests:\s+(?P<n>\d+) failed", re.M),  # jest
    re.compile(r"^\s*Tests\s+(?P<n>\d+) failed", re.M),  # vitest
    re.compile(r"^\s*(?P<n>\d+) failing\s*$", re.M),  # mocha
)
_UVU_TOTAL = re.compile(r"^\s*Total:\s+(?P<t>\d+)\s*\n\s*Passed:\s+(?P<p>\d+)", re.M)
_GO_FAIL = re.compile(r"^\s*--- FAIL: ", re.M)


def test_name(d: Diagnostic) -> str:
    """The failing test's id as its runner names it, or "" when the output named none.
    A compile error in the test build (`E0308`, or no code) names no test."""
    if d.stage != "tests" or not d.code or _RUSTC_CODE.fullmatch(d.code):
        return ""
    if d.tool == GENERIC_TOOL:
        return ""  # `file:line: error[CODE]` lines of a configured command: CODE is no test
    return d.code


def failure_key(d: Diagnostic) -> str:
    """Stable across runs: the test's id (a doctest's without its line, which moves when
    lines are added above it), else its message without the numbers."""
    name = _DOCTEST_LINE.sub("", test_name(d))
    return name or "~" + _NUMBER.sub("#", d.message.removesuffix(BASE_FAILING_NOTE))


def failure_label(d: Diagnostic) -> str:
    """How a report names the failure: the test's id, else what its output said."""
    return test_name(d) or d.message.removesuffix(BASE_FAILING_NOTE)[:160]


def failure_count(output: str) -> int | None:
    """How many tests failed, from the runner's own summary; None when it prints none."""
    text = _ANSI.sub("", output)
    uvu = _UVU_TOTAL.search(text)
    if uvu is not None:
        return int(uvu.group("t")) - int(uvu.group("p"))
    for pattern in _COUNTS:
        found = [int(m.group("n")) for m in pattern.finditer(text)]
        if found:
            return sum(found)
    gone = len(_GO_FAIL.findall(text))
    return gone or None
