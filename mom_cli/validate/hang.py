"""Test runners that print their final summary and then never exit.

mocha without `--exit` (expressjs/cookie-parser), jest with an open handle, a pytest
conftest that leaves a non-daemon thread running: the run is over, the summary says how
it went, yet the process sits on a server or a timer until the validation timeout (300 s)
kills it, on every validation. While a test command runs, `SummaryWatch` looks at its
output between short waits; once the output holds a runner's summary and the command has
printed nothing and used (almost) no CPU for `validation.idle_after_summary_seconds`, the
run is stopped and its result is the summary's: a failing summary stays failing.

A run that has not printed a summary is never stopped early, and neither is one still
busy: per-package lines (go's `ok pkg`) are not summaries (another package may still be
running), a cargo run with test binaries announced but not yet reported is not done, and
a group still burning CPU (a second command after the tests, a compile) is not idle.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

CPU_SHARE = 0.1  # of one core, between two polls: above it the group is working, not hanging
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Summary:
    """A runner's closing summary as printed, and what it says."""

    runner: str  # "pytest" | "mocha" | "jest" | "vitest" | "node --test" | "tap" | "ava" | …
    passed: bool
    line: str  # the summary as printed (one line, stripped)
    no_tests: bool = False  # pytest's "no tests ran": its exit code 5

    @property
    def returncode(self) -> int:
        """The exit code the runner would have ended with."""
        if self.no_tests:
            return 5
        return 0 if self.passed else 1


# -- recognisers: text -> (end offset of the summary, Summary) | None ---------------------

_PYTEST = re.compile(
    r"^(?:=+ )?(?P<body>(?:\d+ (?:passed|failed|errors?|skipped|deselected|xfailed|xpassed"
    r"|warnings?|rerun)(?:, )?)+|no tests ran) in \d+(?:\.\d+)?s(?: \([^)\n]*\))?(?: =+)?[ \t]*$",
    re.MULTILINE,
)
_MOCHA_PASSING = re.compile(r"^[ \t]*\d+ passing \(\d+(?:\.\d+)?(?:ms|s|m|h)\)[ \t]*$", re.M)
_MOCHA_FAILING = re.compile(r"^[ \t]*(\d+) failing[ \t]*$", re.MULTILINE)
_JEST_TESTS = re.compile(r"^Tests:[ \t]+(?P<body>[^\n]*\d+ total)[ \t]*$", re.MULTILINE)
_JEST_SUITES = re.compile(r"^Test Suites:[ \t]+(?P<body>[^\n]*\d+ total)[ \t]*$", re.MULTILINE)
_VITEST_COUNT = r"\d+ (?:passed|failed|skipped|todo)"
_VITEST = re.compile(
    rf"^[ \t]*Tests[ \t]+(?P<body>{_VITEST_COUNT}(?: \| {_VITEST_COUNT})*)[ \t]+\(\d+\)[ \t]*$",
    re.MULTILINE,
)
_NODE_TEST = re.compile(r"^(?:#|ℹ) (?:fail|cancelled) (\d+)[ \t]*$", re.MULTILINE)
_TAP_OK = re.compile(r"^# ok[ \t]*$", re.MULTILINE)
_AVA = re.compile(
    r"^[ \t]*(?:[✔✘✖][ \t]+)?(\d+) (tests? (?:passed|failed)|known failures?"
    r"|uncaught exceptions?|unhandled rejections?)[ \t]*$",
    re.MULTILINE,
)
_CARGO = re.compile(r"^test result: (ok|FAILED)\. \d+ passed; \d+ failed;[^\n]*$", re.MULTILINE)
_CARGO_BINARY = re.compile(r"^[ \t]+(?:Running|Doc-tests)[ \t]+\S", re.MULTILINE)
# go test's closing bare FAIL comes right after a package's result line; the bare FAIL a
# failing package prints itself comes before its own `FAIL\tpkg` line
_GO_FAIL = re.compile(r"^(?:ok|FAIL)[ \t]+\S+[^\n]*\nFAIL[ \t]*$", re.MULTILINE)
_UVU = re.compile(r"^[ \t]*Total:[ \t]+(\d+)[ \t]*\n[ \t]*Passed:[ \t]+(\d+)[ \t]*$", re.M)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

Found = tuple[int, Summary]


def _failed_count(body: str) -> int:
    return sum(int(n) for n in re.findall(r"(\d+) (?:failed|errors?)\b", body))


def _pytest(text: str) -> Found | None:
    found = list(_PYTEST.finditer(text))
    if not found:
        return None
    last = found[-1]
    passed = all(_failed_count(m.group("body")) == 0 for m in found)
    no_tests = passed and last.group("body") == "no tests ran"
    line = last.group(0).strip(" =\t")
    return last.end(), Summary("pytest", passed, line, no_tests=no_tests)


def _mocha(text: str) -> Found | None:
    found = list(_MOCHA_PASSING.finditer(text))
    if not found:
        return None
    bounds = [m.start() for m in found[1:]] + [len(text)]
    failing = [
        _MOCHA_FAILING.search(text, m.end(), stop) for m, stop in zip(found, bounds, strict=True)
    ]
    last, last_failing = found[-1], failing[-1]
    passed = not any(f and int(f.group(1)) for f in failing)
    line = last.group(0).strip() + (f", {last_failing.group(0).strip()}" if last_failing else "")
    return (last_failing or last).end(), Summary("mocha", passed, line)


def _jest(text: str) -> Found | None:
    tests = list(_JEST_TESTS.finditer(text))
    if not tests:
        return None
    counts = [*tests, *_JEST_SUITES.finditer(text)]
    passed = not any(_failed_count(m.group("body")) for m in counts)
    return tests[-1].end(), Summary("jest", passed, tests[-1].group(0).strip())


def _vitest(text: str) -> Found | None:
    found = list(_VITEST.finditer(text))
    if not found:
        return None
    passed = not any(_failed_count(m.group("body")) for m in found)
    return found[-1].end(), Summary("vitest", passed, found[-1].group(0).strip())


def _node_test(text: str) -> Found | None:
    """node --test (`# fail 0` in TAP, `ℹ fail 0` in its spec reporter) and tape (`# ok`)."""
    fails = list(_NODE_TEST.finditer(text))
    tape_ok = _last(_TAP_OK, text)
    ends = [m.end() for m in fails] + ([tape_ok.end()] if tape_ok else [])
    if not ends:
        return None
    failed = sum(int(m.group(1)) for m in fails)
    line = fails[-1].group(0).strip() if fails else "# ok"
    runner = "node --test" if line.startswith("ℹ") else "tap"
    return max(ends), Summary(runner, failed == 0, line)


def _ava(text: str) -> Found | None:
    found = list(_AVA.finditer(text))
    if not any(m.group(2).startswith("test") for m in found):
        return None
    bad = sum(int(m.group(1)) for m in found if not m.group(2).endswith("passed"))
    return found[-1].end(), Summary("ava", bad == 0, "; ".join(m.group(0).strip() for m in found))


def _uvu(text: str) -> Found | None:
    found = list(_UVU.finditer(text))
    if not found:
        return None
    passed = all(m.group(1) == m.group(2) for m in found)
    line = " ".join(found[-1].group(0).split())
    return found[-1].end(), Summary("uvu", passed, line)


def _cargo(text: str) -> Found | None:
    """cargo test: one `test result:` per test binary; done once every binary it announced
    (`Running …`, `Doc-tests …`) has reported."""
    results = list(_CARGO.finditer(text))
    if not results or len(results) < len(_CARGO_BINARY.findall(text)):
        return None
    failed = [m for m in results if m.group(1) != "ok"]
    line = (failed or results)[-1].group(0).strip()  # a failing binary's, when one fails
    return results[-1].end(), Summary("cargo test", not failed, line)


def _go(text: str) -> Found | None:
    """go test's closing bare `FAIL` (per-package `ok`/`FAIL pkg` lines are not final:
    packages run in parallel and another may still be running, silently). A passing
    `go test ./...` prints no closing line, so it is never stopped early."""
    match = _last(_GO_FAIL, text)
    return (match.end(), Summary("go test", False, "FAIL")) if match else None


RECOGNISERS: tuple[Callable[[str], Found | None], ...] = (
    _pytest,
    _mocha,
    _jest,
    _vitest,
    _node_test,
    _ava,
    _uvu,
    _cargo,
    _go,
)


def find_summary(text: str) -> Summary | None:
    """The last summary printed in `text`, or None. It passes only when no summary in
    the text fails: a failing summary is never turned into a pass by a later one."""
    text = _ANSI.sub("", text)
    found = [hit for recognise in RECOGNISERS if (hit := recognise(text)) is not None]
    if not found:
        return None
    _, last = max(found, key=lambda hit: hit[0])
    line = " ".join(last.line.split())  # jest pads "Tests:       2 passed"
    failing = next((s for _, s in found if not s.passed), None)
    if last.passed and failing is not None:
        line = f"{line}; {failing.runner}: {' '.join(failing.line.split())}"
        return Summary(last.runner, False, line)
    return Summary(last.runner, last.passed, line, last.no_tests)


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    last = None
    for last in pattern.finditer(text):  # noqa: B007 (the loop only walks to the last)
        pass
    return last


# -- the watch ------------------------------------------------------------------------------

CpuSample = dict[int, int]  # pid -> CPU ticks (its own and its reaped children's)


def session_cpu(session: int) -> CpuSample | None:
    """CPU ticks of every process in `session` (the command's, see run_command's
    start_new_session), or None where there is no /proc to read."""
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return None
    sample: CpuSample = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if len(fields) > 14 and int(fields[3]) == session:
            sample[pid] = sum(int(f) for f in fields[11:15])
    return sample


def _busy(before: CpuSample | None, after: CpuSample | None, seconds: float) -> bool:
    """Did the group work between two samples (a process came or went, or it used more
    than CPU_SHARE of a core)?"""
    if before is None or after is None:
        return False  # cannot tell: silence alone decides
    if before.keys() != after.keys():
        return True
    used = sum(after.values()) - sum(before.values())
    return used / _TICKS > CPU_SHARE * max(seconds, 0.0)


class SummaryWatch:
    """Decides, poll by poll, whether a running test command is done but not exiting."""

    def __init__(
        self,
        idle_seconds: float,
        session: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        cpu: Callable[[int], CpuSample | None] = session_cpu,
    ) -> None:
        self.idle_seconds = idle_seconds
        self.session = session
        self.summary: Summary | None = None
        self.quiet_seconds = 0.0
        self._clock, self._cpu = clock, cpu
        self._size = -1
        self._quiet_since = clock()
        self._last_poll = self._quiet_since
        self._sample: CpuSample | None = None
        self._scanned = -1  # output size last searched for a summary without finding one

    def check(self, out: bytes, err: bytes) -> bool:
        """True when the command should be stopped (then `summary` says how it went)."""
        now = self._clock()
        size = len(out) + len(err)
        if size != self._size:
            self._size, self._quiet_since, self._sample = size, now, None
            self._last_poll = now
            return False
        sample = self._cpu(self.session)
        if self._sample is not None and _busy(self._sample, sample, now - self._last_poll):
            self._quiet_since = now
        self._sample, self._last_poll = sample, now
        if now - self._quiet_since < self.idle_seconds or self._scanned == size:
            return False
        text = out.decode("utf-8", "replace") + "\n" + err.decode("utf-8", "replace")
        summary = find_summary(text)
        if summary is None:
            self._scanned = size
            return False
        self.summary, self.quiet_seconds = summary, now - self._quiet_since
        return True

    def note(self, *, quote: bool = True) -> str:
        """What the stage says about a run this watch stopped. `quote=False` leaves the
        summary line out (in the command's own output it would count its failures twice)."""
        line = f" ({self.summary.line})" if quote and self.summary is not None else ""
        return (
            f"the test runner did not exit after its summary{line}: stopped after "
            f"{self.quiet_seconds:.0f} s without output (validation.idle_after_summary_seconds)"
        )
