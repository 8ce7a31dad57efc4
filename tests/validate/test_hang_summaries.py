"""Which output holds a test runner's closing summary, what that summary says, and when
SummaryWatch stops a run (a scripted clock and CPU: no real waiting)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mom_cli.validate.hang import Summary, SummaryWatch, find_summary

# Outputs as the runners print them (pytest -q and node --test captured here; the others
# from their documented formats).
PYTEST_Q = (
    "..F\n=== short test summary info ===\nFAILED t.py::test_b\n1 failed, 2 passed in 0.12s\n"
)
PYTEST_BORDERED = "========== 3 passed, 1 warning in 1.05s ==========\n"
PYTEST_NONE = "\nno tests ran in 0.01s\n"
MOCHA_OK = "  parser\n    ✔ parses\n\n\n  3 passing (15ms)\n  1 pending\n"
MOCHA_FAIL = "  3 passing (15ms)\n  2 failing\n\n  1) parser\n       parses:\n     Error: no\n"
JEST_FAIL = (
    "Test Suites: 1 failed, 2 passed, 3 total\nTests:       1 failed, 9 passed, 10 total\n"
    "Snapshots:   0 total\nTime:        1.2 s\nRan all test suites.\n"
)
JEST_SUITE_BROKEN = "Test Suites: 1 failed, 1 total\nTests:       0 total\n"
JEST_OK = "Test Suites: 2 passed, 2 total\nTests:       9 passed, 9 total\n"
VITEST_FAIL = " Test Files  1 failed | 1 passed (2)\n      Tests  1 failed | 4 passed (5)\n"
NODE_TAP = "1..2\n# tests 2\n# suites 0\n# pass 1\n# fail 1\n# cancelled 0\n# skipped 0\n"
NODE_SPEC_OK = "ℹ tests 2\nℹ suites 0\nℹ pass 2\nℹ fail 0\nℹ cancelled 0\nℹ duration_ms 40\n"
TAPE_OK = "ok 1 works\n\n1..1\n# tests 1\n# pass  1\n\n# ok\n"
AVA_FAIL = "  ✔ one\n  ✘ [fail]: two\n  ─\n\n  1 test failed\n"
AVA_OK = "  ✔ one\n  ✔ two\n  ─\n\n  2 tests passed\n"
UVU_FAIL = "  Total:     3\n  Passed:    2\n  Skipped:   0\n  Duration:  1.23ms\n"
PYTEST_COLOURED = (
    "\x1b[31m\x1b[1m1 failed\x1b[0m, \x1b[32m2 passed\x1b[0m\x1b[31m in 0.12s\x1b[0m\n"
)
CARGO_TWO = (
    "     Running unittests src/lib.rs (target/debug/deps/x-1)\n\nrunning 2 tests\n"
    "test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n\n"
    "     Running tests/it.rs (target/debug/deps/it-2)\n\nrunning 1 test\n"
    "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n"
)
GO_FAIL = (
    "--- FAIL: TestX (0.00s)\nFAIL\nFAIL\texample.com/x\t0.01s\nok  \texample.com/y\t0.02s\nFAIL\n"
)


@pytest.mark.parametrize(
    ("text", "runner", "passed"),
    [
        (PYTEST_Q, "pytest", False),
        (PYTEST_BORDERED, "pytest", True),
        (MOCHA_OK, "mocha", True),
        (MOCHA_FAIL, "mocha", False),
        (JEST_FAIL, "jest", False),
        (JEST_SUITE_BROKEN, "jest", False),
        (JEST_OK, "jest", True),
        (VITEST_FAIL, "vitest", False),
        (NODE_TAP, "tap", False),
        (NODE_SPEC_OK, "node --test", True),
        (TAPE_OK, "tap", True),
        (AVA_FAIL, "ava", False),
        (AVA_OK, "ava", True),
        (UVU_FAIL, "uvu", False),
        (PYTEST_COLOURED, "pytest", False),
        (CARGO_TWO, "cargo test", False),
        (GO_FAIL, "go test", False),
    ],
)
def test_summaries_are_recognised_with_their_verdict(text: str, runner: str, passed: bool) -> None:
    summary = find_summary(text)
    assert summary is not None
    assert (summary.runner, summary.passed) == (runner, passed)
    assert summary.returncode == (0 if passed else 1)


def test_pytest_no_tests_keeps_its_exit_code() -> None:
    summary = find_summary(PYTEST_NONE)
    assert summary == Summary("pytest", True, "no tests ran in 0.01s", no_tests=True)
    assert summary.returncode == 5


@pytest.mark.parametrize(
    "text",
    [
        # cargo announced a second binary (or the doc-tests) that has not reported yet
        CARGO_TWO.rsplit("test result", 1)[0],
        CARGO_TWO + "   Doc-tests x\n",
        # go's per-package lines: another package may still be running
        "ok  \texample.com/x\t0.01s\n",
        # a failing package's own bare FAIL, other packages still to come
        "--- FAIL: TestX (0.00s)\nFAIL\nFAIL\texample.com/x\t0.01s\n",
        # a mocha suite title is not vitest's count line
        "  Tests for the parser (2)\n    ✔ parses\n",
        # progress, not a summary
        "running 3 tests\ntest a ... ok\n",
        "  parser\n    ✔ parses\n",
        "collected 4 items\n\nt.py ..",
    ],
)
def test_unfinished_runs_have_no_summary(text: str) -> None:
    assert find_summary(text) is None


def test_later_passing_summary_does_not_hide_an_earlier_failure() -> None:
    """`pytest; npm test`: the last summary passes, the first failed."""
    summary = find_summary(PYTEST_Q + "\n" + MOCHA_OK)
    assert summary is not None and summary.runner == "mocha" and not summary.passed


FAILING = [
    PYTEST_Q,
    PYTEST_COLOURED,
    UVU_FAIL,
    MOCHA_FAIL,
    JEST_FAIL,
    VITEST_FAIL,
    NODE_TAP,
    AVA_FAIL,
    CARGO_TWO,
    GO_FAIL,
]
PASSING = [PYTEST_BORDERED, MOCHA_OK, JEST_OK, NODE_SPEC_OK, TAPE_OK, AVA_OK]
_noise = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


@given(before=_noise, after=_noise, failing=st.sampled_from(FAILING))
def test_a_failing_summary_never_reads_as_a_pass(before: str, after: str, failing: str) -> None:
    """Whatever surrounds a failing summary (other output, passing summaries), the
    result is never a pass."""
    summary = find_summary(f"{before}\n{failing}\n{after}")
    assert summary is None or not summary.passed


@given(before=_noise, passing=st.sampled_from(PASSING), failing=st.sampled_from(FAILING))
def test_any_failing_summary_fails_the_whole(before: str, passing: str, failing: str) -> None:
    for text in (f"{before}\n{failing}\n{passing}", f"{passing}\n{failing}\n{before}"):
        summary = find_summary(text)
        assert summary is not None and not summary.passed


@given(st.text(alphabet=st.sampled_from("abc xyz.:=-()\n\tms"), max_size=400))
def test_digit_free_text_has_no_summary(text: str) -> None:
    """Every summary counts something; text without digits or a `# ok` has none."""
    assert find_summary(text) is None


# -- SummaryWatch with a scripted clock and CPU ----------------------------------------------


class Script:
    """A clock advanced by hand and a CPU sample per session that tests set."""

    def __init__(self) -> None:
        self.now = 0.0
        self.cpu: dict[int, int] | None = {1: 100}

    def clock(self) -> float:
        return self.now

    def sample(self, session: int) -> dict[int, int] | None:
        return None if self.cpu is None else dict(self.cpu)


def _watch(script: Script, idle: float = 10.0) -> SummaryWatch:
    return SummaryWatch(idle, 1, clock=script.clock, cpu=script.sample)


def _poll(watch: SummaryWatch, script: Script, out: bytes, seconds: float) -> bool:
    """Advance the clock in half-second polls; True as soon as the watch says stop."""
    for _ in range(int(seconds * 2)):
        script.now += 0.5
        if watch.check(out, b""):
            return True
    return False


def test_watch_stops_after_idle_seconds_of_silence_after_a_summary() -> None:
    script = Script()
    watch = _watch(script)
    out = MOCHA_FAIL.encode()
    assert not _poll(watch, script, out, 9.0)
    assert _poll(watch, script, out, 2.0)
    assert watch.summary is not None and not watch.summary.passed
    assert "2 failing" in watch.note() and "10 s" in watch.note()


def test_watch_never_stops_a_run_without_a_summary() -> None:
    script = Script()
    watch = _watch(script, idle=1.0)
    assert not _poll(watch, script, b"running 3 tests\ntest a ... ok\n", 60.0)
    assert watch.summary is None


def test_new_output_restarts_the_quiet_period() -> None:
    script = Script()
    watch = _watch(script)
    out = MOCHA_OK.encode()
    assert not _poll(watch, script, out, 8.0)
    out += b"late log line\n"
    assert not _poll(watch, script, out, 8.0)
    assert _poll(watch, script, out, 3.0)


def test_busy_cpu_is_not_idle() -> None:
    """A group that keeps working after a summary (a compile, a second command) is not
    stopped, however long it prints nothing; once it stops working, it is."""
    script = Script()
    watch = _watch(script)
    out = JEST_OK.encode()
    for _ in range(60):
        script.now += 0.5
        assert script.cpu is not None
        script.cpu[1] += 40  # 0.4 s of CPU per half second (100 ticks a second)
        assert not watch.check(out, b"")
    assert _poll(watch, script, out, 11.0)


def test_a_process_starting_after_the_summary_is_activity() -> None:
    script = Script()
    watch = _watch(script, idle=2.0)
    out = PYTEST_BORDERED.encode()
    assert not _poll(watch, script, out, 1.5)
    script.cpu = {1: 100, 2: 0}  # e.g. `pytest && npm run build`: npm started
    assert not _poll(watch, script, out, 1.5)
    assert _poll(watch, script, out, 1.5)


def test_without_proc_silence_alone_decides() -> None:
    script = Script()
    script.cpu = None
    watch = _watch(script, idle=2.0)
    assert _poll(watch, script, PYTEST_BORDERED.encode(), 3.0)
