"""Where a JavaScript test failure is and what it says, from real node and captured mocha."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from git_repos import ADD_TEST_JS, NODE_SCRIPT_PACKAGE

from mom_cli.config import ValidationSection
from mom_cli.validate.jsfailures import parse_js_stack
from mom_cli.validate.pipeline import run_validation

# `mocha --reporter spec --bail` on expressjs/cookie-parser with a regression in
# JSONCookie: the spec listing says "1) should inflate JSON cookies" long before the
# summary that holds the assertion.
MOCHA_SPEC = """
  cookieParser()
    when cookies are sent
      ✔ should populate req.cookies
      1) should inflate JSON cookies


  4 passing (72ms)
  1 failing

  1) cookieParser()
       when cookies are sent
         should inflate JSON cookies:
     Error: expected '{"foo":{"foo":"bar"}}' response body, got '{"foo":"j:{\\\\"foo\\\\"}"}'
      at Context.<anonymous> (test/cookieParser.js:39:10)
      at process.processImmediate (node:internal/timers:483:21)
  ----
      at error (node_modules/supertest/lib/test.js:356:13)
"""


def test_mocha_headline_is_the_assertion_not_the_spec_listing(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    (tmp_path / "test/cookieParser.js").write_text("")
    [failure] = parse_js_stack(MOCHA_SPEC, tmp_path)
    assert (failure.file, failure.line) == ("test/cookieParser.js", 39)
    assert failure.code == "cookieParser() › when cookies are sent › should inflate JSON cookies"
    assert failure.message.startswith('Error: expected \'{"foo":{"foo":"bar"}}\' response body')
    assert "passing" not in failure.message


def test_a_syntax_error_in_a_required_module_is_located_in_that_module(
    make_repo: Callable[..., Path],
) -> None:
    """node prints "/abs/index.js:2", the line and a caret above the SyntaxError; its stack
    starts at the test's require, and node's internal frames are no message."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    repo = make_repo(
        {
            "package.json": NODE_SCRIPT_PACKAGE,
            "index.js": "exports.add = function (a, b) {\n  return add(a, b\n}\n",
            "test/a.js": ADD_TEST_JS,
        }
    )
    tests = run_validation(repo, None, config=ValidationSection(), stages=["tests"]).stages[0]
    [failure] = tests.diagnostics
    assert (failure.file, failure.line) == ("index.js", 2)
    assert failure.message.startswith("SyntaxError:") and "node:internal" not in failure.message


# jest over more than 20 test files repeats every failure under "Summary of all failing
# tests" (commander.js: 7 failures were reported, keyed and planned as 14).
JEST_BLOCK = """FAIL tests/options.camelcase.test.js
  ● when option defined with --word-word then option property is wordWord

    expect(received).toBe(expected) // Object.is equality

      at Object.<anonymous> (tests/options.camelcase.test.js:9:35)

"""


def test_jest_summary_repeats_are_one_failure(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/options.camelcase.test.js").write_text("")
    text = JEST_BLOCK + "Summary of all failing tests\n" + JEST_BLOCK
    [failure] = parse_js_stack(text, tmp_path)
    assert failure.code == (
        "tests/options.camelcase.test.js > "
        "when option defined with --word-word then option property is wordWord"
    )


def test_a_suite_that_hangs_after_a_failure_says_it_timed_out(
    make_repo: Callable[..., Path],
) -> None:
    """expressjs/cookie-parser with a typo in its middleware: mocha prints the failure,
    then waits on the server supertest left open. mom killed it at the timeout and
    reported only the failure, so a 5-minute run read like any other failure."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    repo = make_repo(
        {
            "package.json": NODE_SCRIPT_PACKAGE,
            "test/a.js": (
                "const assert = require('assert');\n"
                "try { assert.strictEqual(1, 2); } catch (e) { console.error(e); }\n"
                "setInterval(() => {}, 1000);\n"
            ),
        }
    )
    config = ValidationSection(timeout_seconds=4)
    tests = run_validation(repo, None, config=config, stages=["tests"]).stages[0]
    assert not tests.passed
    messages = [d.message for d in tests.diagnostics]
    assert any(m.startswith("AssertionError") for m in messages), messages
    assert any(m.startswith("timed out after 4 s") for m in messages), messages


# cookie-parser with `JSONCookie` misspelt in JSONCookies: an exception thrown outside the
# test's own call stack is "Uncaught" in mocha's summary.
MOCHA_UNCAUGHT = """  1 failing

  1) cookieParser()
       when cookies are sent
         should populate req.cookies:
     Uncaught ReferenceError: JSONCookei is not defined
      at JSONCookies (index.js:110:5)
      at cookieParser (index.js:69:19)
      at Server.<anonymous> (test/cookieParser.js:289:5)
      at Server.emit (node:events:524:28)
"""


def test_mocha_uncaught_error_is_the_headline(tmp_path: Path) -> None:
    (tmp_path / "index.js").write_text("")
    [failure] = parse_js_stack(MOCHA_UNCAUGHT, tmp_path)
    assert (failure.file, failure.line) == ("index.js", 110)
    assert failure.message.startswith("Uncaught ReferenceError: JSONCookei is not defined")
