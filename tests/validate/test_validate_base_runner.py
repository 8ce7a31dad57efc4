"""Failure keys and the base comparison for runners other than pytest, on captured output
(go is not installed here; jest, vitest and mocha are not either). Runner output is
untrusted text: Hypothesis checks that no input crashes a parser and that no parsed
location leaves the repository."""

from __future__ import annotations

from pathlib import Path

from git_repos import init_repo, write_files
from hypothesis import given, settings
from hypothesis import strategies as st

from mom_cli.validate.base_runner import compare_with_base, runner_failures
from mom_cli.validate.diagnostics import Diagnostic
from mom_cli.validate.failure_keys import failure_count, failure_key
from mom_cli.validate.failure_keys import test_name as named_test  # not a pytest test
from mom_cli.validate.jsfailures import parse_js_stack
from mom_cli.validate.pipeline import exported_index
from mom_cli.validate.result import StageResult
from mom_cli.validate.testparse import parse_cargo_test, parse_go_test, parse_tap
from mom_cli.validate.tests import _parse_any

ROOT = Path("/repo")
CARGO = """running 2 tests
test tests::adds ... FAILED
test tests::doubles ... FAILED

failures:

---- tests::adds stdout ----

thread 'tests::adds' panicked at src/lib.rs:15:9:
assertion `left == right` failed
  left: -1
 right: 5

failures:
    tests::adds
    tests::doubles

test result: FAILED. 0 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out
"""
GO = """=== RUN   TestAdd
    calc_test.go:8: add(2, 3) = -1, want 5
--- FAIL: TestAdd (0.00s)
=== RUN   TestSplit
=== RUN   TestSplit/empty
    split_test.go:12: got [""], want []
    --- FAIL: TestSplit/empty (0.00s)
--- FAIL: TestSplit (0.00s)
FAIL
FAIL\texample.com/calc\t0.002s
"""
UVU = """\x1b[1mtest/index.js\x1b[22m
\x1b[31m✘ \x1b[39m  (7 / 8)

  \x1b[1m\x1b[41m FAIL \x1b[49m "\x1b[31mcodes\x1b[39m"
    Expected values to be strictly equal:  (is)

    at assert (/repo/node_modules/uvu/assert/index.js:31:8)
    at Object.handler (/repo/test/index.js:11:30)
    at Number.runner (/repo/node_modules/uvu/dist/index.js:92:16)

  Total:     15
  Passed:    13
  Skipped:   0
  Duration:  6.03ms
"""
JEST = """FAIL test/sum.test.js
  math
    ✕ adds (3 ms)

  ● math › adds

    expect(received).toBe(expected) // Object.is equality

      at Object.toBe (test/sum.test.js:4:38)

Tests:       1 failed, 1 passed, 2 total
"""
VITEST = """ FAIL  test/sum.test.ts > math > adds
AssertionError: expected 3 to be 4 // Object.is equality
 ❯ test/sum.test.ts:4:38

      Tests  1 failed | 1 passed (2)
"""
MOCHA = """  Array
    #indexOf()
      1) should return -1

  1 passing (5ms)
  1 failing

  1) Array
       #indexOf()
         should return -1:
     AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:
      at Context.<anonymous> (/repo/test/a.js:5:14)
"""
NODE_TAP = """TAP version 13
# Subtest: grp
    # Subtest: inner case
    not ok 1 - inner case
      ---
      location: '/repo/test/a.test.js:4:35'
      failureType: 'testCodeFailure'
      ...
not ok 1 - grp
  ---
  location: '/repo/test/a.test.js:4:1'
  failureType: 'subtestsFailed'
  ...
not ok 2 - elsewhere
  ---
  location: '/etc/passwd:1:1'
  ...
# fail 2
"""


def test_cargo_and_go_name_their_tests() -> None:
    assert [failure_key(d) for d in parse_cargo_test(CARGO, ROOT)] == [
        "tests::adds",
        "tests::doubles",
    ]
    assert [failure_key(d) for d in parse_go_test(GO, ROOT)] == [
        "TestAdd",
        "TestSplit/empty",
        "TestSplit",
    ]
    assert failure_count(CARGO) == 2 and failure_count(GO) == 3


GO_QUIET = """--- FAIL: TestTwo (0.00s)
    m_test.go:7: want 2
--- FAIL: TestThree (0.00s)
    --- FAIL: TestThree/zero (0.00s)
        m_test.go:14: want 3
FAIL
FAIL\texample.com/m\t0.004s
"""


def test_go_log_lines_under_the_fail_line_locate_the_test() -> None:
    """go test without -v (Go 1.14+) prints a test's log under its FAIL line, not before."""
    located = [(d.code, d.file, d.line) for d in parse_go_test(GO_QUIET, ROOT)]
    assert located == [
        ("TestTwo", "m_test.go", 7),
        ("TestThree", "", 0),
        ("TestThree/zero", "m_test.go", 14),
    ]
    verbose = [(d.code, d.file, d.line) for d in parse_go_test(GO, ROOT)]
    assert verbose[0] == ("TestAdd", "calc_test.go", 8)


DOCTEST = """test src/lib.rs - levenshtein (line 276) ... FAILED

failures:

---- src/lib.rs - levenshtein (line 276) stdout ----
Test executable failed (exit status: 101).

stderr:

thread 'main' (11876) panicked at src/lib.rs:7:1:
assertion failed: (levenshtein("kitten", "sitting") - 3).abs() < 1

test result: FAILED. 10 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out
"""


def test_a_doctest_is_named_by_its_item_not_main() -> None:
    """A doctest panics in thread 'main' at a line of rustdoc's program: every failing
    doctest was one test called "main" at a wrong line (rapidfuzz/strsim-rs)."""
    [d] = parse_cargo_test(DOCTEST, ROOT)
    assert (d.code, d.file, d.line) == ("src/lib.rs - levenshtein (line 276)", "src/lib.rs", 276)
    moved = parse_cargo_test(DOCTEST.replace("(line 276)", "(line 280)"), ROOT)[0]
    assert failure_key(d) == failure_key(moved) == "src/lib.rs - levenshtein"


def test_js_runners_name_their_tests() -> None:
    assert [d.code for d in parse_js_stack(UVU, ROOT)] == ["test/index.js > codes"]
    assert [d.code for d in parse_js_stack(JEST, ROOT)] == ["test/sum.test.js > math › adds"]
    assert [d.code for d in parse_js_stack(VITEST, ROOT)] == ["test/sum.test.ts > math > adds"]
    # the summary's name, not the spec listing's bare "1) should return -1"
    assert [d.code for d in parse_js_stack(MOCHA, ROOT)] == [
        "Array › #indexOf() › should return -1"
    ]
    assert [failure_count(t) for t in (UVU, JEST, VITEST, MOCHA)] == [2, 1, 1, 1]


def test_node_tap_locations_and_parents_of_failed_subtests() -> None:
    found = parse_tap(NODE_TAP, root=ROOT)
    # "grp" failed only because "inner case" did: one failure, not two
    assert [(d.code, d.file) for d in found] == [("inner case", ""), ("elsewhere", "")]
    assert failure_count(NODE_TAP) == 2


def test_node_tap_location_inside_the_repo(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    (tmp_path / "test/a.test.js").write_text("")
    found = parse_tap(NODE_TAP.replace("/repo", str(tmp_path)), root=tmp_path)
    assert [(d.file, d.line) for d in found] == [("test/a.test.js", 4), ("", 0)]


def test_a_compile_error_names_no_test() -> None:
    d = Diagnostic("tests", "src/lib.rs", 3, "mismatched types", "error", 0, "E0308", "cargo")
    assert named_test(d) == ""
    assert failure_key(d) == "~mismatched types"
    # a configured command's `file:line: error[W1]: …` line: its code names no test
    [generic] = _parse_any("src/a.c:3:1: error[W1]: bad thing\n", ROOT)
    assert named_test(generic) == "" and failure_key(generic) == "~bad thing"


def _failed(code: str, message: str = "failed", tool: str = "cargo") -> Diagnostic:
    return Diagnostic("tests", "", 0, message, "error", 0, code, tool)


def _base(diags: list[Diagnostic], output: str = "", passed: bool = False) -> StageResult:
    return StageResult("tests", passed, diagnostics=diags, raw_output=output)


def test_named_failures_are_compared_by_name() -> None:
    now = [_failed("tests::adds"), _failed("tests::doubles")]
    failing, note = compare_with_base(now, _base([_failed("tests::doubles")]), CARGO)
    assert failing == ["tests::doubles"] and note == ""


def test_unnamed_failures_no_more_than_at_the_base_were_already_there() -> None:
    now = [_failed("", "exit code 1: Duration: 6.03ms", "npm")]
    base = _base([_failed("", "exit code 1: Duration: 9.1ms", "npm")], UVU)
    failing, note = compare_with_base(now, base, UVU)
    assert failing == [failure_key(now[0])]
    assert note == "could not tell which tests; 2 failure(s) were already there at the base"


def test_unnamed_failures_beyond_the_base_count_stay_the_changes() -> None:
    now = [_failed("", "exit code 1: Duration: 6.03ms", "npm")]
    fewer = UVU.replace("Passed:    13", "Passed:    14")
    failing, note = compare_with_base(now, _base([_failed("", "exit code 1", "npm")], fewer), UVU)
    assert failing == []
    assert "2 failures now, 1 at the base, so at least 1 new" in note


def test_unnamed_failures_without_counts_match_by_message() -> None:
    now = [_failed("", "exit code 1: took 12ms", "make test")]
    same = _base([_failed("", "exit code 1: took 40ms", "make test")])
    assert compare_with_base(now, same, "")[0] == [failure_key(now[0])]
    other = _base([_failed("", "exit code 2: segfault", "make test")])
    failing, note = compare_with_base(now, other, "")
    assert failing == [] and "differently" in note


def test_a_passing_or_missing_base_leaves_the_failures_the_changes() -> None:
    now = [_failed("", "exit code 1", "npm")]
    assert compare_with_base(now, _base([], passed=True), "")[0] == []
    skipped = StageResult("tests", True, skipped=True, note="no test runner for this project")
    failing, note = compare_with_base(now, skipped, "")
    assert failing == [] and "no test run" in note


def test_a_base_that_names_no_failing_test_is_said_so() -> None:
    """A timeout or a compile error at the base: nothing there to match, and the note
    says why every failure stays the change's."""
    now = [_failed("tests::adds")]
    timed_out = _base([_failed("", "timed out: Compiling t v0.1.0")])
    failing, note = compare_with_base(now, timed_out, CARGO)
    assert failing == []
    assert note == "the run at the base named no failing test (timed out: Compiling t v0.1.0)"


def test_pytest_failures_are_left_to_head_tests() -> None:
    py = _failed("tests/test_a.py::test_a", tool="pytest")
    assert runner_failures([py, _failed("tests::adds")]) == [_failed("tests::adds")]


PIECES = [*"ab/.:()'\"\n -✘✖●>›#", "at ", "not ok 1 - ", "FAIL ", "/repo/", "../", "1) "]
PIECES += ["location: '", ".js:3:4", "Total: 3\nPassed: 1", "# fail 2", "test ", " ... FAILED"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=120).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_parsers_take_any_output_and_stay_inside_the_repo(text: str) -> None:
    for d in [*parse_js_stack(text, ROOT), *parse_tap(text, root=ROOT)]:
        assert not d.file.startswith("/") and ".." not in d.file.split("/")
        assert len(d.code) <= 300
        assert failure_key(d)
    for d in [*parse_cargo_test(text, ROOT), *parse_go_test(text, ROOT), *_parse_any(text, ROOT)]:
        assert failure_key(d)  # every failure has a key, named or not
    count = failure_count(text)
    assert count is None or isinstance(count, int)


def test_an_export_links_packages_but_keeps_its_own_tool_caches(tmp_path: Path) -> None:
    """esm (uvu's loader) writes `node_modules/.cache/esm`: with the whole folder linked,
    the export's cache entries broke the user's next `npm test` (lukeed/kleur)."""
    repo = init_repo(
        tmp_path / "p", {"index.js": "module.exports = 1;\n", ".gitignore": "node_modules/\n"}
    )
    write_files(
        repo,
        {
            "node_modules/esm/esm.js": "",
            "node_modules/.bin/uvu": "",
            "node_modules/.cache/esm/a": "old",
        },
    )
    with exported_index(repo, "HEAD") as tree:
        modules = tree / "node_modules"
        assert not modules.is_symlink() and (modules / "esm/esm.js").is_file()
        assert (modules / ".bin/uvu").is_file() and not (modules / ".cache").exists()
        write_files(tree, {"node_modules/.cache/esm/b": "from the export"})
    assert sorted(p.name for p in (repo / "node_modules/.cache/esm").iterdir()) == ["a"]
    assert (repo / "node_modules/esm/esm.js").is_file()  # removing the export kept the packages
